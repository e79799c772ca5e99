// Token counts the fake upstream reports, and the text it "generates". Prompt tokens are estimated
// as ceil(characters / 4) (OpenAI's rule of thumb); the generated text has exactly one word per
// completion token, so a stream can be cut into chunks at token boundaries.

/** Characters of every text part of the messages (string content, or `{type: 'text', text}` parts). */
function messageChars(messages: unknown[]): number {
  let chars = 0;
  for (const m of messages) {
    if (m === null || typeof m !== 'object') continue;
    const content = (m as { content?: unknown }).content;
    if (typeof content === 'string') {
      chars += content.length;
    } else if (Array.isArray(content)) {
      for (const part of content) {
        const text =
          part !== null && typeof part === 'object' ? (part as { text?: unknown }).text : undefined;
        if (typeof text === 'string') chars += text.length;
      }
    }
  }
  return chars;
}

/** Prompt tokens of a chat request: ceil(characters of the messages / 4). */
export function estimateChatPromptTokens(messages: unknown[]): number {
  return Math.ceil(messageChars(messages) / 4);
}

/**
 * Inputs and prompt tokens of an embeddings request. `input` is a string, an array of strings, an
 * array of token ids, or an array of arrays of token ids (OpenAI's four shapes); token ids count one
 * each, strings ceil(characters / 4). Returns undefined for any other shape.
 */
export function measureEmbeddingInput(input: unknown): { inputs: number; tokens: number } | undefined {
  if (typeof input === 'string') return { inputs: 1, tokens: Math.ceil(input.length / 4) };
  if (!Array.isArray(input) || input.length === 0) return undefined;
  if (typeof input[0] === 'number') {
    for (const t of input) if (typeof t !== 'number') return undefined;
    return { inputs: 1, tokens: input.length };
  }
  let tokens = 0;
  for (const item of input) {
    if (typeof item === 'string') {
      tokens += Math.ceil(item.length / 4);
    } else if (Array.isArray(item)) {
      for (const t of item) if (typeof t !== 'number') return undefined;
      tokens += item.length;
    } else {
      return undefined;
    }
  }
  return { inputs: input.length, tokens };
}

const WORDS = ['Lorem', 'ipsum', 'dolor', 'sit', 'amet,', 'consectetur', 'adipiscing', 'elit.'];
const CACHED_TOKENS = 4096;

/** Token i of the generated text: a word, with a leading space after the first. */
function word(i: number): string {
  const w = WORDS[i % WORDS.length]!;
  return i === 0 ? w : ` ${w}`;
}

/** The generated text of CACHED_TOKENS tokens, and where each token ends in it. */
const CACHED_TEXT = (() => {
  let text = '';
  const ends = new Uint32Array(CACHED_TOKENS + 1);
  for (let i = 0; i < CACHED_TOKENS; i++) {
    text += word(i);
    ends[i + 1] = text.length;
  }
  return { text, ends };
})();

/** Tokens [from, to) of the generated text, exactly one space-separated word per token. */
export function completionText(from: number, to: number): string {
  if (to <= from) return '';
  if (to <= CACHED_TOKENS) return CACHED_TEXT.text.slice(CACHED_TEXT.ends[from]!, CACHED_TEXT.ends[to]!);
  // Long completions (rare): built word by word.
  const parts: string[] = [];
  for (let i = from; i < to; i++) parts.push(word(i));
  return parts.join('');
}
