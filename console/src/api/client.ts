// The console talks only to the public API. Problems come back as ApiError with the problem body.
export interface Problem { status: number; code: string; title: string; detail: string; errors?: Array<{ field: string; message: string }>; rules?: string[] }

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail);
  }
}

const csrf = () => document.cookie.split("; ").find((c) => c.startsWith("qujat_csrf="))?.slice("qujat_csrf=".length) ?? "";

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (method !== "GET") headers["x-csrf-token"] = csrf();
  const res = await fetch(`/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: "same-origin" });
  if (res.status === 204) return undefined as T;
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError(data as Problem);
  return data as T;
}
