/**
 * From chat messages (OpenAI shape) to the texts that cost tokens plus a fixed overhead, following OpenAI's
 * cookbook for chat formats: 3 tokens per message, 1 more when it has a `name`, 3 to prime the reply.
 * Images count 85 tokens each (the low-detail price; high detail costs more, settlement corrects it); audio
 * and file parts count their text fields only. Walking the messages copies no strings.
 */
export interface PromptTexts {
  texts: string[];
  chars: number;
  overhead: number;
}

const PER_MESSAGE = 3;
const PER_NAME = 1;
const REPLY_PRIMING = 3;
const PER_IMAGE = 85;

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function promptTexts(messages: readonly unknown[]): PromptTexts {
  const out: PromptTexts = { texts: [], chars: 0, overhead: REPLY_PRIMING };
  const add = (s: unknown) => {
    if (typeof s === 'string' && s.length > 0) {
      out.texts.push(s);
      out.chars += s.length;
    }
  };
  for (const m of messages) {
    if (!isObject(m)) continue;
    out.overhead += PER_MESSAGE;
    add(m.role);
    if (typeof m.name === 'string') {
      out.overhead += PER_NAME;
      add(m.name);
    }
    const content = m.content;
    if (typeof content === 'string') add(content);
    else if (Array.isArray(content)) {
      for (const part of content) {
        if (typeof part === 'string') add(part);
        else if (isObject(part)) {
          if (part.type === 'image_url' || part.type === 'image' || part.type === 'input_image') out.overhead += PER_IMAGE;
          else add(part.text);
        }
      }
    }
    if (Array.isArray(m.tool_calls)) {
      for (const call of m.tool_calls) {
        if (isObject(call) && isObject(call.function)) {
          add(call.function.name);
          add(call.function.arguments);
        }
      }
    }
    if (isObject(m.function_call)) {
      add(m.function_call.name);
      add(m.function_call.arguments);
    }
  }
  return out;
}
