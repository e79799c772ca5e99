// OpenAI-style rate-limit accounting: a budget of requests and tokens per one-minute window. The window
// starts with the first request after the previous one ended. Every API request takes one request and
// its tokens (prompt + completion) from the budget; the remaining values never go below 0.

export const RATE_LIMIT_WINDOW_MS = 60_000;

/** The state after one request was taken, ready to become headers. */
export interface RateLimitTake {
  /** False when `enforce` is on and the request did not fit: nothing was taken. */
  admitted: boolean;
  remainingRequests: number;
  remainingTokens: number;
  /** Milliseconds until the window resets. */
  resetMs: number;
}

export interface RateLimiter {
  readonly limitRequests: number;
  readonly limitTokens: number;
  /** Takes one request and `tokens` from the current window. Reuses and returns one result object. */
  take(tokens: number, now: number): RateLimitTake;
  /** The current window's state without taking anything (for answers that are not API requests). */
  peek(now: number): RateLimitTake;
}

export function createRateLimiter(limitRequests: number, limitTokens: number, enforce: boolean): RateLimiter {
  let windowStart = -Infinity;
  let usedRequests = 0;
  let usedTokens = 0;
  const result: RateLimitTake = { admitted: true, remainingRequests: 0, remainingTokens: 0, resetMs: 0 };
  const roll = (now: number): void => {
    if (now - windowStart >= RATE_LIMIT_WINDOW_MS) {
      windowStart = now;
      usedRequests = 0;
      usedTokens = 0;
    }
  };
  const fill = (now: number): RateLimitTake => {
    result.remainingRequests = Math.max(0, limitRequests - usedRequests);
    result.remainingTokens = Math.max(0, limitTokens - usedTokens);
    result.resetMs = Math.max(0, windowStart + RATE_LIMIT_WINDOW_MS - now);
    return result;
  };
  return {
    limitRequests,
    limitTokens,
    take(tokens, now) {
      roll(now);
      const fits = usedRequests < limitRequests && usedTokens + tokens <= limitTokens;
      result.admitted = fits || !enforce;
      if (result.admitted) {
        usedRequests += 1;
        usedTokens += tokens;
      }
      return fill(now);
    },
    peek(now) {
      roll(now);
      result.admitted = true;
      return fill(now);
    },
  };
}
