/**
 * `POST /v1/messages` by Anthropic's rules: `max_tokens` required (a positive integer), roles `user` and
 * `assistant` only, `system` a string or text blocks, content a string or blocks of the types each role may
 * send, `tool_use` / `tool_result` shapes, `temperature` 0–1, `top_k`, `stop_sequences`, tools with an
 * `input_schema`. Anthropic's error shape has no `param`, so each message starts with the path.
 */
import { InvalidParameter, MissingParameter } from '../errors/catalogue.js';
import { arr, matching, obj, oneOf, optBool, optInt, optNumber, optObj, optStr, required, str, type Json } from './checks.js';

const ROLES = ['user', 'assistant'] as const;
const USER_BLOCKS = ['text', 'image', 'document', 'tool_result', 'search_result', 'container_upload'] as const;
const ASSISTANT_BLOCKS = [
  'text', 'tool_use', 'thinking', 'redacted_thinking', 'server_tool_use', 'web_search_tool_result', 'web_fetch_tool_result',
  'code_execution_tool_result', 'mcp_tool_use', 'mcp_tool_result',
] as const;
const IMAGE_MEDIA = ['image/jpeg', 'image/png', 'image/gif', 'image/webp'] as const;
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/** Runs `check` and prefixes the failure's message with its path (Anthropic clients see no `param`). */
function withPath(check: () => void): void {
  try {
    check();
  } catch (err) {
    if ((err instanceof InvalidParameter || err instanceof MissingParameter) && err.param && !err.message.startsWith(err.param)) {
      err.message = `${err.param}: ${err.message}`;
    }
    throw err;
  }
}

function imageSource(v: unknown, param: string): void {
  const src = obj(v, param);
  const type = oneOf(required(src, 'type', `${param}.type`), `${param}.type`, ['base64', 'url', 'file']);
  if (type === 'base64') {
    oneOf(required(src, 'media_type', `${param}.media_type`), `${param}.media_type`, IMAGE_MEDIA);
    str(required(src, 'data', `${param}.data`), `${param}.data`);
  } else if (type === 'url') {
    str(required(src, 'url', `${param}.url`), `${param}.url`);
  } else {
    str(required(src, 'file_id', `${param}.file_id`), `${param}.file_id`);
  }
}

function textBlock(b: Json, param: string): void {
  str(required(b, 'text', `${param}.text`), `${param}.text`);
}

function block(v: unknown, param: string, allowed: readonly string[]): void {
  const b = obj(v, param);
  const type = oneOf(required(b, 'type', `${param}.type`), `${param}.type`, allowed);
  switch (type) {
    case 'text':
      return textBlock(b, param);
    case 'image':
      return imageSource(required(b, 'source', `${param}.source`), `${param}.source`);
    case 'document':
      obj(required(b, 'source', `${param}.source`), `${param}.source`);
      return;
    case 'tool_use':
      str(required(b, 'id', `${param}.id`), `${param}.id`);
      str(required(b, 'name', `${param}.name`), `${param}.name`);
      obj(required(b, 'input', `${param}.input`), `${param}.input`);
      return;
    case 'tool_result': {
      str(required(b, 'tool_use_id', `${param}.tool_use_id`), `${param}.tool_use_id`);
      optBool(b, 'is_error', `${param}.is_error`);
      const c = b.content;
      if (c === undefined || c === null || typeof c === 'string') return;
      const parts = arr(c, `${param}.content`);
      for (let i = 0; i < parts.length; i++) block(parts[i], `${param}.content[${i}]`, ['text', 'image', 'document', 'search_result']);
      return;
    }
    case 'thinking':
      str(required(b, 'thinking', `${param}.thinking`), `${param}.thinking`);
      str(required(b, 'signature', `${param}.signature`), `${param}.signature`);
      return;
    case 'redacted_thinking':
      str(required(b, 'data', `${param}.data`), `${param}.data`);
      return;
  }
}

function message(v: unknown, param: string): void {
  const m = obj(v, param);
  const role = oneOf(required(m, 'role', `${param}.role`), `${param}.role`, ROLES);
  const c = required(m, 'content', `${param}.content`);
  if (typeof c === 'string') return;
  const blocks = arr(c, `${param}.content`);
  for (let i = 0; i < blocks.length; i++) block(blocks[i], `${param}.content[${i}]`, role === 'user' ? USER_BLOCKS : ASSISTANT_BLOCKS);
}

function system(v: unknown): void {
  if (typeof v === 'string') return;
  const blocks = arr(v, 'system');
  for (let i = 0; i < blocks.length; i++) {
    const b = obj(blocks[i], `system[${i}]`);
    oneOf(required(b, 'type', `system[${i}].type`), `system[${i}].type`, ['text']);
    textBlock(b, `system[${i}]`);
  }
}

function tools(v: unknown): void {
  const list = arr(v, 'tools');
  for (let i = 0; i < list.length; i++) {
    const param = `tools[${i}]`;
    const t = obj(list[i], param);
    const type = t.type === undefined || t.type === null ? 'custom' : str(t.type, `${param}.type`);
    matching(required(t, 'name', `${param}.name`), `${param}.name`, TOOL_NAME, '^[a-zA-Z0-9_-]{1,64}$');
    // Server tools (`web_search_20250305`, `bash_20250124`, …) are defined by Anthropic and take no schema.
    if (type !== 'custom') continue;
    optStr(t, 'description', `${param}.description`);
    const schema = obj(required(t, 'input_schema', `${param}.input_schema`), `${param}.input_schema`);
    if (schema.type !== 'object') throw new InvalidParameter(`${param}.input_schema.type`, "expected 'object'.", 'invalid_value');
  }
}

function toolChoice(v: unknown): void {
  const tc = obj(v, 'tool_choice');
  const type = oneOf(required(tc, 'type', 'tool_choice.type'), 'tool_choice.type', ['auto', 'any', 'tool', 'none']);
  if (type === 'tool') str(required(tc, 'name', 'tool_choice.name'), 'tool_choice.name');
  optBool(tc, 'disable_parallel_tool_use', 'tool_choice.disable_parallel_tool_use');
}

function thinking(v: unknown, maxTokens: number): void {
  const t = obj(v, 'thinking');
  const type = oneOf(required(t, 'type', 'thinking.type'), 'thinking.type', ['enabled', 'disabled']);
  if (type !== 'enabled') return;
  const budget = optInt(t, 'budget_tokens', 1024, Number.MAX_SAFE_INTEGER, 'thinking.budget_tokens');
  if (budget === undefined) throw new MissingParameter('thinking.budget_tokens');
  if (budget >= maxTokens) throw new InvalidParameter('thinking.budget_tokens', "must be less than 'max_tokens'.", 'invalid_value');
}

/** Checks a Messages request; `countOnly` for `/v1/messages/count_tokens`, which takes no `max_tokens`. */
export function validateAnthropicMessages(body: Json, countOnly = false): void {
  withPath(() => {
    str(required(body, 'model'), 'model');
    const maxTokens = countOnly ? undefined : optInt(body, 'max_tokens', 1);
    if (!countOnly && maxTokens === undefined) throw new MissingParameter('max_tokens');
    const list = arr(required(body, 'messages'), 'messages', 1);
    for (let i = 0; i < list.length; i++) message(list[i], `messages[${i}]`);
    if (body.system !== undefined && body.system !== null) system(body.system);
    if (!countOnly) {
      optNumber(body, 'temperature', 0, 1);
      optNumber(body, 'top_p', 0, 1);
      optInt(body, 'top_k', 0);
      optBool(body, 'stream');
      const stops = body.stop_sequences;
      if (stops !== undefined && stops !== null) {
        const s = arr(stops, 'stop_sequences');
        for (let i = 0; i < s.length; i++) str(s[i], `stop_sequences[${i}]`);
      }
      const meta = optObj(body, 'metadata');
      if (meta) optStr(meta, 'user_id', 'metadata.user_id');
    }
    if (body.tools !== undefined && body.tools !== null) tools(body.tools);
    if (body.tool_choice !== undefined && body.tool_choice !== null) toolChoice(body.tool_choice);
    if (body.thinking !== undefined && body.thinking !== null) thinking(body.thinking, maxTokens ?? Infinity);
  });
}
