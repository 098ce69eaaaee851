/** `tools`, `tool_choice` and `response_format` of a chat completion, by OpenAI's rules. */
import { arr, badValue, isObject, matching, obj, oneOf, optBool, required, str, wrongType, type Json } from './checks.js';

/** Function (and schema) names OpenAI accepts. */
export const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const TOOL_NAME_SHOWN = '^[a-zA-Z0-9_-]{1,64}$';
/** OpenAI's limit on the number of tools in one request. */
export const MAX_TOOLS = 128;

function tool(v: unknown, param: string): void {
  const t = obj(v, param);
  const type = oneOf(required(t, 'type', `${param}.type`), `${param}.type`, ['function', 'custom']);
  const def = obj(required(t, type, `${param}.${type}`), `${param}.${type}`);
  matching(required(def, 'name', `${param}.${type}.name`), `${param}.${type}.name`, TOOL_NAME, TOOL_NAME_SHOWN);
  if (def.description !== undefined && def.description !== null) str(def.description, `${param}.${type}.description`);
  if (type === 'function') {
    if (def.parameters !== undefined && def.parameters !== null) obj(def.parameters, `${param}.function.parameters`);
    optBool(def, 'strict', `${param}.function.strict`);
  }
}

function toolChoice(v: unknown, hasTools: boolean): void {
  if (typeof v === 'string') {
    oneOf(v, 'tool_choice', ['none', 'auto', 'required']);
    if (v !== 'none' && !hasTools) throw badValue('tool_choice', "'tool_choice' is only allowed when 'tools' are specified.");
    return;
  }
  if (!isObject(v)) throw wrongType('tool_choice', "'none', 'auto', 'required' or an object", v);
  const type = oneOf(required(v, 'type', 'tool_choice.type'), 'tool_choice.type', ['function', 'custom', 'allowed_tools']);
  if (!hasTools) throw badValue('tool_choice', "'tool_choice' is only allowed when 'tools' are specified.");
  if (type === 'allowed_tools') {
    const allowed = obj(required(v, 'allowed_tools', 'tool_choice.allowed_tools'), 'tool_choice.allowed_tools');
    oneOf(required(allowed, 'mode', 'tool_choice.allowed_tools.mode'), 'tool_choice.allowed_tools.mode', ['auto', 'required']);
    arr(required(allowed, 'tools', 'tool_choice.allowed_tools.tools'), 'tool_choice.allowed_tools.tools', 1);
    return;
  }
  const def = obj(required(v, type, `tool_choice.${type}`), `tool_choice.${type}`);
  str(required(def, 'name', `tool_choice.${type}.name`), `tool_choice.${type}.name`);
}

function responseFormat(v: unknown): void {
  const rf = obj(v, 'response_format');
  const type = oneOf(required(rf, 'type', 'response_format.type'), 'response_format.type', ['text', 'json_object', 'json_schema']);
  if (type !== 'json_schema') return;
  const js = obj(required(rf, 'json_schema', 'response_format.json_schema'), 'response_format.json_schema');
  matching(required(js, 'name', 'response_format.json_schema.name'), 'response_format.json_schema.name', TOOL_NAME, TOOL_NAME_SHOWN);
  // OpenAI's API reference marks `schema` optional; when present it must be an object.
  if (js.schema !== undefined && js.schema !== null) obj(js.schema, 'response_format.json_schema.schema');
  optBool(js, 'strict', 'response_format.json_schema.strict');
}

export function validateTools(body: Json): void {
  let hasTools = false;
  if (body.tools !== undefined && body.tools !== null) {
    const list = arr(body.tools, 'tools', 0, MAX_TOOLS);
    for (let i = 0; i < list.length; i++) tool(list[i], `tools[${i}]`);
    hasTools = list.length > 0;
  }
  if (body.tool_choice !== undefined && body.tool_choice !== null) toolChoice(body.tool_choice, hasTools || Array.isArray(body.functions));
  optBool(body, 'parallel_tool_calls');
  if (body.response_format !== undefined && body.response_format !== null) responseFormat(body.response_format);
}
