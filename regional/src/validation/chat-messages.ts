/**
 * `messages` of a chat completion, by OpenAI's rules: a known role per message; content a string or a non-empty
 * array of typed parts the role may send; `null` content only for an assistant turn that calls tools (or a
 * function, or carries audio); `tool` messages answer a `tool_call_id`.
 */
import { arr, badValue, isObject, obj, oneOf, required, str, wrongType, type Json } from './checks.js';

const ROLES = ['system', 'developer', 'user', 'assistant', 'tool', 'function'] as const;
type Role = (typeof ROLES)[number];

/** Content part types each role may send. */
const PARTS: Record<Role, readonly string[]> = {
  system: ['text'],
  developer: ['text'],
  user: ['text', 'image_url', 'input_audio', 'file'],
  assistant: ['text', 'refusal'],
  tool: ['text'],
  function: ['text'],
};

const AUDIO_FORMATS = ['wav', 'mp3'] as const;
const IMAGE_DETAIL = ['auto', 'low', 'high'] as const;

function part(p: unknown, param: string, allowed: readonly string[]): void {
  const o = obj(p, param);
  const type = oneOf(required(o, 'type', `${param}.type`), `${param}.type`, allowed);
  switch (type) {
    case 'text':
      str(required(o, 'text', `${param}.text`), `${param}.text`);
      return;
    case 'refusal':
      str(required(o, 'refusal', `${param}.refusal`), `${param}.refusal`);
      return;
    case 'image_url': {
      const img = obj(required(o, 'image_url', `${param}.image_url`), `${param}.image_url`);
      str(required(img, 'url', `${param}.image_url.url`), `${param}.image_url.url`);
      if (img.detail !== undefined && img.detail !== null) oneOf(img.detail, `${param}.image_url.detail`, IMAGE_DETAIL);
      return;
    }
    case 'input_audio': {
      const audio = obj(required(o, 'input_audio', `${param}.input_audio`), `${param}.input_audio`);
      str(required(audio, 'data', `${param}.input_audio.data`), `${param}.input_audio.data`);
      oneOf(required(audio, 'format', `${param}.input_audio.format`), `${param}.input_audio.format`, AUDIO_FORMATS);
      return;
    }
    case 'file': {
      const file = obj(required(o, 'file', `${param}.file`), `${param}.file`);
      for (const k of ['file_id', 'file_data', 'filename']) if (file[k] !== undefined && file[k] !== null) str(file[k], `${param}.file.${k}`);
      if (file.file_id == null && file.file_data == null) throw badValue(`${param}.file`, "expected 'file_id' or 'file_data'.");
      return;
    }
  }
}

function content(m: Json, param: string, role: Role): void {
  const c = m.content;
  if (typeof c === 'string') return;
  if (c === undefined || c === null) {
    const callsTools = (Array.isArray(m.tool_calls) && m.tool_calls.length > 0) || isObject(m.function_call) || isObject(m.audio);
    if ((role === 'assistant' && callsTools) || role === 'function') return;
    throw wrongType(`${param}.content`, role === 'assistant' ? "a string or an array of parts (null only with 'tool_calls')" : 'a string or an array of parts', c);
  }
  const parts = arr(c, `${param}.content`, 1);
  for (let i = 0; i < parts.length; i++) part(parts[i], `${param}.content[${i}]`, PARTS[role]);
}

function toolCalls(v: unknown, param: string): void {
  const calls = arr(v, param, 1);
  for (let i = 0; i < calls.length; i++) {
    const p = `${param}[${i}]`;
    const call = obj(calls[i], p);
    str(required(call, 'id', `${p}.id`), `${p}.id`);
    const type = oneOf(required(call, 'type', `${p}.type`), `${p}.type`, ['function', 'custom']);
    if (type === 'function') {
      const fn = obj(required(call, 'function', `${p}.function`), `${p}.function`);
      str(required(fn, 'name', `${p}.function.name`), `${p}.function.name`);
      str(required(fn, 'arguments', `${p}.function.arguments`), `${p}.function.arguments`);
    } else {
      const custom = obj(required(call, 'custom', `${p}.custom`), `${p}.custom`);
      str(required(custom, 'name', `${p}.custom.name`), `${p}.custom.name`);
      str(required(custom, 'input', `${p}.custom.input`), `${p}.custom.input`);
    }
  }
}

function message(v: unknown, param: string): void {
  const m = obj(v, param);
  const role = oneOf(required(m, 'role', `${param}.role`), `${param}.role`, ROLES);
  content(m, param, role);
  if (m.name !== undefined && m.name !== null) str(m.name, `${param}.name`);
  if (role === 'assistant') {
    if (m.tool_calls !== undefined && m.tool_calls !== null) toolCalls(m.tool_calls, `${param}.tool_calls`);
  } else if (m.tool_calls !== undefined && m.tool_calls !== null) {
    throw badValue(`${param}.tool_calls`, `only assistant messages may carry tool calls, not '${role}'.`);
  }
  if (role === 'tool') str(required(m, 'tool_call_id', `${param}.tool_call_id`), `${param}.tool_call_id`);
  if (role === 'function') str(required(m, 'name', `${param}.name`), `${param}.name`);
}

/** Check `body.messages` (present, a non-empty array of valid messages). */
export function validateMessages(body: Json): void {
  const list = arr(required(body, 'messages'), 'messages', 1);
  for (let i = 0; i < list.length; i++) message(list[i], `messages[${i}]`);
}
