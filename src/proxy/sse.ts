// Server-sent events passing through the proxy: complete events are cut from the byte stream, the
// `usage` of the final chunk is read (the proxy asks for it with stream_options.include_usage), and the
// usage-only chunk is dropped when the client did not ask for it itself.

import type { OpenAiUsage } from './upstream.js';

export class SseRelay {
  private buffer = '';
  private readonly decoder = new TextDecoder();
  usage: OpenAiUsage | undefined;
  /** A `data:` event carried an `error` object (a failure in the middle of the stream). */
  streamError: string | undefined;
  sawDone = false;

  constructor(private readonly forwardUsageChunk: boolean) {}

  /** Takes bytes from upstream; returns the text to forward now (complete events only). */
  push(chunk: Uint8Array): string {
    this.buffer += this.decoder.decode(chunk, { stream: true });
    let out = '';
    let start = 0;
    for (;;) {
      const end = this.findEventEnd(start);
      if (end < 0) break;
      const event = this.buffer.slice(start, end);
      start = end + this.sepLength;
      if (this.keep(event)) out += `${event}\n\n`;
    }
    this.buffer = this.buffer.slice(start);
    return out;
  }

  /** Whatever is left when the upstream stream ends. */
  end(): string {
    this.buffer += this.decoder.decode();
    const rest = this.buffer.trim();
    this.buffer = '';
    if (rest.length === 0) return '';
    return this.keep(rest) ? `${rest}\n\n` : '';
  }

  private sepLength = 2;

  private findEventEnd(from: number): number {
    const lf = this.buffer.indexOf('\n\n', from);
    const crlf = this.buffer.indexOf('\r\n\r\n', from);
    if (crlf >= 0 && (lf < 0 || crlf < lf)) {
      this.sepLength = 4;
      return crlf;
    }
    this.sepLength = 2;
    return lf;
  }

  private keep(event: string): boolean {
    if (event.length === 0) return false;
    const dataAt = event.indexOf('data:');
    if (dataAt < 0) return true;
    const data = event.slice(dataAt + 5).trim();
    if (data === '[DONE]') {
      this.sawDone = true;
      return true;
    }
    const hasUsage = data.includes('"usage":{') || data.includes('"usage": {');
    const hasError = data.includes('"error"');
    if (!hasUsage && !hasError) return true;
    try {
      const j = JSON.parse(data) as {
        usage?: OpenAiUsage | null;
        choices?: unknown[];
        error?: { message?: string };
      };
      if (j.error) this.streamError = typeof j.error.message === 'string' ? j.error.message : 'stream error';
      if (j.usage) {
        this.usage = j.usage;
        if (!this.forwardUsageChunk && Array.isArray(j.choices) && j.choices.length === 0) return false;
      }
    } catch {
      // not JSON: forward as is
    }
    return true;
  }
}
