// The fetch wrapper of every page: session cookie, CSRF header on writes, errors thrown as
// ApiError carrying the server's {"error": {"code", "message"}} so callers can show ``message``.

let csrfToken = "";

export function setCsrfToken(token) {
  csrfToken = token;
}

export class ApiError extends Error {
  constructor(message, { code = "error", status = 0, retryAfter = 0 } = {}) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.status = status;
    this.retryAfter = retryAfter; // seconds, with code "rate_limited" (HTTP 429)
  }
}

const STATUS_MESSAGES = {
  401: "Your session has ended. Log in again.",
  403: "You are not allowed to do that.",
  404: "That could not be found. It may have been removed.",
  413: "That is too large.",
};

/** Send a request; return the parsed JSON body or throw ApiError (code "network" if offline). */
export async function request(method, url, body, { signal } = {}) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") headers["X-CSRFToken"] = csrfToken;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      signal,
    });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError("Could not reach the server. Check your connection and try again.", {
      code: "network",
    });
  }
  let data;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    const error = data && data.error;
    const fallback = STATUS_MESSAGES[response.status] || "Something went wrong on the server. Try again.";
    throw new ApiError(error?.message || fallback, {
      code: error?.code || (response.status >= 500 ? "server_error" : `http_${response.status}`),
      status: response.status,
      retryAfter: error?.retry_after || 0,
    });
  }
  return data ?? {};
}
