import { createHash } from 'node:crypto';
import type { Message, MessageTokensCount, RawMessageStreamEvent } from '@anthropic-ai/sdk/resources/messages';
import type { ModelInfo } from '@anthropic-ai/sdk/resources/models';

/**
 * The dev-mode stand-in for the Claude API: deterministic answers with real wire shapes (the
 * SDK's own types check them), so a workload can be wired end to end before a real upstream
 * key exists. It says what it is in every reply.
 */

export const STAND_IN_MODEL_ID = 'openwif-stand-in';

export const STAND_IN_MODEL: ModelInfo = {
  type: 'model',
  id: STAND_IN_MODEL_ID,
  display_name: 'OpenWIF stand-in model',
  created_at: '2026-01-01T00:00:00Z',
  capabilities: null,
  deprecated_at: null,
  lifecycle: 'active',
  line: null,
  max_input_tokens: 200_000,
  max_tokens: 4096,
  retires_at: null,
};

const QUOTE_LIMIT = 200;

/** What the stand-in reads from a Messages request; everything else is accepted and ignored. */
export interface StandInRequest {
  model: string;
  max_tokens: number;
  messages: Array<{ role: string; content: unknown }>;
  system?: unknown;
  stream?: boolean;
}

/** A request the real API would reject too: becomes a 400 `invalid_request_error`. */
export class StandInInputError extends Error {
  override name = 'StandInInputError';
}

export function parseMessagesRequest(body: unknown, options: { countOnly: boolean }): StandInRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new StandInInputError('body: must be a JSON object');
  const b = body as Record<string, unknown>;
  if (typeof b['model'] !== 'string' || b['model'] === '') throw new StandInInputError('model: Field required');
  if (!options.countOnly && (typeof b['max_tokens'] !== 'number' || !Number.isInteger(b['max_tokens']) || b['max_tokens'] < 1)) {
    throw new StandInInputError('max_tokens: must be a positive integer');
  }
  const messages = b['messages'];
  if (!Array.isArray(messages) || messages.length === 0) throw new StandInInputError('messages: must be a non-empty list');
  for (const [i, m] of messages.entries()) {
    if (typeof m !== 'object' || m === null || (m.role !== 'user' && m.role !== 'assistant')) {
      throw new StandInInputError(`messages.${i}.role: must be "user" or "assistant"`);
    }
  }
  if (b['stream'] !== undefined && typeof b['stream'] !== 'boolean') throw new StandInInputError('stream: must be a boolean');
  return {
    model: b['model'],
    max_tokens: typeof b['max_tokens'] === 'number' ? b['max_tokens'] : 0,
    messages: messages as StandInRequest['messages'],
    system: b['system'],
    stream: b['stream'] as boolean | undefined,
  };
}

/** A deterministic stand-in for a tokenizer: about four characters a token, at least one per message. */
export function countTokens(request: Pick<StandInRequest, 'messages' | 'system'>): MessageTokensCount {
  const chars = textOf(request.system).length + request.messages.reduce((n, m) => n + textOf(m.content).length, 0);
  return { input_tokens: Math.ceil(chars / 4) + request.messages.length };
}

export function replyTo(request: StandInRequest, requestBytes: Buffer): Message {
  const lastUser = [...request.messages].reverse().find((m) => m.role === 'user');
  const said = textOf(lastUser?.content).replace(/\s+/g, ' ').trim();
  const quoted = said.length > QUOTE_LIMIT ? `${said.slice(0, QUOTE_LIMIT)}…` : said;
  const words = `OpenWIF stand-in model: you said "${quoted}". No real model was called; set OPENWIF_UPSTREAM_URL to forward to one.`.split(' ');
  const kept = words.slice(0, request.max_tokens);
  return {
    id: `msg_standin_${createHash('sha256').update(requestBytes).digest('hex').slice(0, 24)}`,
    type: 'message',
    role: 'assistant',
    model: request.model,
    content: [{ type: 'text', text: kept.join(' '), citations: null }],
    stop_reason: kept.length < words.length ? 'max_tokens' : 'end_turn',
    stop_sequence: null,
    stop_details: null,
    container: null,
    diagnostics: null,
    usage: {
      input_tokens: countTokens(request).input_tokens,
      output_tokens: kept.length,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      cache_creation: null,
      inference_geo: null,
      output_tokens_details: null,
      server_tool_use: null,
      service_tier: 'standard',
      speed: null,
    },
  };
}

/** The event sequence the API streams for a one-text-block message, a few words per delta. */
export function streamEventsFor(message: Message): RawMessageStreamEvent[] {
  const block = message.content[0];
  const text = block?.type === 'text' ? block.text : '';
  const started: Message = { ...message, content: [], stop_reason: null, usage: { ...message.usage, output_tokens: 1 } };
  const events: RawMessageStreamEvent[] = [
    { type: 'message_start', message: started },
    { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '', citations: null } },
  ];
  for (const piece of text.match(/(?:\S+\s*){1,3}/g) ?? []) {
    events.push({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: piece } });
  }
  events.push(
    { type: 'content_block_stop', index: 0 },
    {
      type: 'message_delta',
      delta: { stop_reason: message.stop_reason, stop_sequence: null, stop_details: null, container: null },
      usage: {
        input_tokens: message.usage.input_tokens,
        output_tokens: message.usage.output_tokens,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
        output_tokens_details: null,
        server_tool_use: null,
      },
    },
    { type: 'message_stop' },
  );
  return events;
}

/** Text of a string or a list of content blocks (non-text blocks count as nothing). */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((b) =>
      typeof b === 'object' && b !== null && (b as { type?: unknown }).type === 'text' && typeof (b as { text?: unknown }).text === 'string'
        ? (b as { text: string }).text
        : '',
    )
    .join(' ');
}
