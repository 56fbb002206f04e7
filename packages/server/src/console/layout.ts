import type { ConsoleContext } from './context.ts';
import { html, type SafeHtml } from './html.ts';

export type NavSection = 'overview' | 'workspaces' | 'service-accounts' | 'issuers' | 'rules' | 'events' | 'test' | 'upstream';

const NAV: ReadonlyArray<{ section: NavSection; href: string; label: string }> = [
  { section: 'overview', href: '/console', label: 'Overview' },
  { section: 'issuers', href: '/console/issuers', label: 'Issuers' },
  { section: 'rules', href: '/console/rules', label: 'Federation rules' },
  { section: 'service-accounts', href: '/console/service-accounts', label: 'Service accounts' },
  { section: 'workspaces', href: '/console/workspaces', label: 'Workspaces' },
  { section: 'events', href: '/console/events', label: 'Authentication events' },
  { section: 'test', href: '/console/test', label: 'Test a token' },
  { section: 'upstream', href: '/console/upstream', label: 'Upstream credentials' },
];

/** htmx must not inject its indicator <style> (CSP style-src 'self') nor ever evaluate strings. */
const HTMX_CONFIG = '{"includeIndicatorStyles":false,"allowEval":false,"allowScriptTags":false,"historyCacheSize":0}';

function head(title: string): SafeHtml {
  return html`<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="htmx-config" content="${HTMX_CONFIG}">
<title>${title} · OpenWIF console</title>
<link rel="icon" href="/console/assets/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/console/assets/console.css">
<script src="/console/assets/htmx.min.js" defer></script>
</head>`;
}

export interface PageOptions {
  title: string;
  section: NavSection;
  organizationName: string;
  /** Optional line under the title. */
  lead?: SafeHtml | string;
  /** Buttons or links at the right of the title. */
  actions?: SafeHtml;
  /** Breadcrumb back to the list a detail page belongs to. */
  back?: { href: string; label: string };
}

/** The signed-in shell: header with organization and sign-out, sidebar navigation, main. */
export function page(ctx: ConsoleContext, options: PageOptions, content: SafeHtml): SafeHtml {
  const csrfHeaders = JSON.stringify({ 'x-csrf-token': ctx.csrfToken });
  return html`<!doctype html>
<html lang="en">
${head(options.title)}
<body hx-headers="${csrfHeaders}">
<a class="skip-link" href="#main">Skip to content</a>
<header class="topbar">
  <a class="brand" href="/console"><span class="brand-mark" aria-hidden="true"></span>OpenWIF</a>
  <span class="org" title="Organization">${options.organizationName}</span>
  <form class="signout" method="post" action="/console/logout">
    <input type="hidden" name="_csrf" value="${ctx.csrfToken}">
    <button type="submit" class="button subtle">Sign out</button>
  </form>
</header>
<div class="shell">
  <nav class="sidebar" aria-label="Console sections">
    <ul>
      ${NAV.map((item) => html`<li><a href="${item.href}"${item.section === options.section ? html` aria-current="page"` : ''}>${item.label}</a></li>`)}
    </ul>
  </nav>
  <main id="main" tabindex="-1">
    ${options.back ? html`<p class="back"><a href="${options.back.href}">← ${options.back.label}</a></p>` : ''}
    <div class="page-title">
      <h1>${options.title}</h1>
      ${options.actions ?? ''}
    </div>
    ${options.lead ? html`<p class="lead">${options.lead}</p>` : ''}
    ${content}
  </main>
</div>
</body>
</html>`;
}

/** Pages outside a session (sign-in, errors before sign-in): no navigation. */
export function bareLayout(title: string, content: SafeHtml): SafeHtml {
  return html`<!doctype html>
<html lang="en">
${head(title)}
<body class="bare">
<main id="main" class="bare-main">
  <p class="brand brand-large"><span class="brand-mark" aria-hidden="true"></span>OpenWIF</p>
  ${content}
</main>
</body>
</html>`;
}
