import type { FastifyReply } from 'fastify';
import { actionButton } from '../components.ts';
import type { ConsoleContext } from '../context.ts';
import { html, type SafeHtml } from '../html.ts';
import type { NavSection } from '../layout.ts';
import { renderPage } from './shared.ts';

/**
 * Archiving is permanent, so it takes two steps: the list links to this page, which says what
 * will happen and posts the archive on a second click. Works without JavaScript.
 */
export function confirmArchive(
  ctx: ConsoleContext,
  reply: FastifyReply,
  options: { section: NavSection; what: string; name: string; consequences: SafeHtml; action: string; cancelHref: string; error?: string },
): Promise<FastifyReply> {
  return renderPage(
    ctx,
    reply,
    { title: `Archive ${options.what} ${options.name}?`, section: options.section, back: { href: options.cancelHref, label: 'Cancel' } },
    html`<div class="card confirm">
  ${options.error ? html`<div class="alert error" role="alert">${options.error}</div>` : ''}
  <p>${options.consequences}</p>
  <p><strong>Archiving cannot be undone.</strong></p>
  <div class="form-actions">
    ${actionButton({ action: options.action, csrfToken: ctx.csrfToken, label: `Archive ${options.what}`, variant: 'danger' })}
    <a class="button subtle" href="${options.cancelHref}">Cancel</a>
  </div>
</div>`,
  );
}
