import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ApiReadError, ApiUnavailableError, SessionExpiredError } from './admin-api.ts';
import { redirect, sendHtml } from './context.ts';
import { html, type SafeHtml } from './html.ts';
import { bareLayout } from './layout.ts';

export function errorPage(title: string, message: string): SafeHtml {
  return bareLayout(
    title,
    html`<div class="card sign-in"><h1>${title}</h1><p>${message}</p><p><a class="button primary" href="/console">Back to the console</a></p></div>`,
  );
}

/**
 * The console's failures as pages, never as JSON or stack traces. A session that ended while
 * the page was open goes back to sign-in; anything unexpected is logged and masked.
 */
export function consoleErrorHandler(err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (err instanceof SessionExpiredError) return redirect(request, reply, '/console/login');
  if (err instanceof ApiReadError) {
    const title = err.status === 404 ? 'Not found' : 'Request refused';
    return sendHtml(reply, errorPage(title, err.message), err.status);
  }
  if (err instanceof ApiUnavailableError) {
    request.log.error({ err: err.message }, 'console: Admin API unavailable');
    return sendHtml(reply, errorPage('Service unavailable', 'The server could not complete this request. Try again in a moment.'), 503);
  }
  const fe = err as FastifyError;
  if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendHtml(reply, errorPage('Too large', 'The form is larger than the console accepts.'), 413);
  if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
    return sendHtml(reply, errorPage('Unsupported form', 'Send the form as application/x-www-form-urlencoded.'), 415);
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return sendHtml(reply, errorPage('Bad request', 'The request could not be processed.'), fe.statusCode);
  }
  request.log.error({ err }, 'console: unhandled error');
  return sendHtml(reply, errorPage('Something went wrong', 'An internal error occurred. It has been logged.'), 500);
}
