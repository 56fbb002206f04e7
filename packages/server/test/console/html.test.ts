import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { escapeHtml, html, safeUrl } from '../../src/console/html.ts';

describe('html tag: text is escaped by default', () => {
  test('a <script> in text content stays text', () => {
    const out = html`<p>${'<script>alert(1)</script>'}</p>`.value;
    assert.equal(out, '<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>');
  });

  test('quotes cannot break out of a double- or single-quoted attribute', () => {
    assert.equal(html`<input value="${'" onfocus="alert(1)'}">`.value, '<input value="&quot; onfocus=&quot;alert(1)">');
    assert.equal(html`<input value='${"' onfocus='alert(1)"}'>`.value, "<input value='&#39; onfocus=&#39;alert(1)'>");
  });

  test('ampersands and backticks are escaped too', () => {
    assert.equal(escapeHtml('a & b ` c'), 'a &amp; b &#96; c');
  });

  test('nested fragments are kept, arrays are joined, null/undefined/false render nothing', () => {
    const items = ['<a>', 'b'].map((x) => html`<li>${x}</li>`);
    assert.equal(html`<ul>${items}</ul>${null}${undefined}${false}`.value, '<ul><li>&lt;a&gt;</li><li>b</li></ul>');
  });

  test('numbers render as text', () => {
    assert.equal(html`<td>${42}</td>`.value, '<td>42</td>');
  });
});

describe('html tag: URL attributes', () => {
  for (const hostile of [
    'javascript:alert(1)',
    ' JavaScript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'vbscript:msgbox',
    '//evil.example/x',
    '/\\evil.example',
  ]) {
    test(`${JSON.stringify(hostile)} at the start of href becomes #`, () => {
      assert.equal(html`<a href="${hostile}">x</a>`.value, '<a href="#">x</a>');
    });
  }

  test('javascript: is neutralised in action, src and htmx request attributes alike', () => {
    for (const attribute of ['action', 'src', 'hx-get', 'hx-post', 'formaction']) {
      const out = html([`<x ${attribute}="`, '">'] as unknown as TemplateStringsArray, 'javascript:alert(1)').value;
      assert.equal(out, `<x ${attribute}="#">`);
    }
  });

  test('same-origin paths and http(s) URLs are kept (escaped)', () => {
    assert.equal(html`<a href="${'/console/rules?a=1&b=2'}">x</a>`.value, '<a href="/console/rules?a=1&amp;b=2">x</a>');
    assert.equal(html`<a href="${'https://example.com/x'}">x</a>`.value, '<a href="https://example.com/x">x</a>');
    assert.equal(safeUrl('?page=2'), '?page=2');
  });

  test('a value after a fixed path prefix is only escaped (the scheme is already fixed)', () => {
    assert.equal(html`<a href="/console/rules/${'javascript:x'}">x</a>`.value, '<a href="/console/rules/javascript:x">x</a>');
  });
});

describe('html tag: unsafe positions are programming errors', () => {
  test('an unquoted attribute value throws', () => {
    assert.throws(() => html`<input value=${'x onfocus=alert(1)'}>`, /must be quoted/);
  });

  test('a value inside an event-handler attribute throws', () => {
    assert.throws(() => html`<button onclick="go('${'x'}')">`, /event-handler/);
    assert.throws(() => html`<div ONMOUSEOVER='${'x'}'>`, /event-handler/);
  });

  test('plain text where attributes go throws; an html fragment or nothing is allowed', () => {
    assert.throws(() => html`<div ${'onmouseover=alert(1)'}>`, /only html/);
    assert.equal(html`<div${html` hidden`}${''}>`.value, '<div hidden>');
  });

  test('an html fragment inside an attribute value throws (it could carry quotes)', () => {
    assert.throws(() => html`<a title="${html`" onclick="x`}">`, /attribute value takes text/);
  });

  test('an = inside a quoted value is not mistaken for an unquoted attribute', () => {
    assert.equal(html`<a href="/console/rules/new?issuer_id=${'fdis_1'}">x</a>`.value, '<a href="/console/rules/new?issuer_id=fdis_1">x</a>');
  });

  test('"=" and "<" in text content are fine', () => {
    assert.equal(html`<p>a = ${'<b>'}</p>`.value, '<p>a = &lt;b&gt;</p>');
  });
});
