// The console talks only to the public API (the same one an integrator uses). Problems come back
// as ApiError carrying the problem+json body, so screens can show its title and detail next to
// the field or action that caused them.
export interface Problem {
  status: number;
  code: string;
  title: string;
  detail: string;
  errors?: Array<{ field: string; code?: string; message: string }>;
  rules?: string[];
  [extra: string]: unknown;
}

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail || problem.title);
  }
}

export type Query = Record<string, string | number | boolean | undefined | null>;

const csrf = () =>
  document.cookie
    .split("; ")
    .find((c) => c.startsWith("qujat_csrf="))
    ?.slice("qujat_csrf=".length) ?? "";

/** /api/v1 + path + the defined query parameters. */
export function apiUrl(path: string, query: Query = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  const s = q.toString();
  return `/api/v1${path}${s ? `?${s}` : ""}`;
}

/** The problem+json body, or a stand-in for a response that carries none (a proxy's HTML error page). */
const problemFromBody = (status: number, data: unknown): Problem =>
  data && typeof data === "object" && "code" in data
    ? (data as Problem)
    : { status, code: "http_" + status, title: `HTTP ${status}`, detail: "" };

export async function api<T>(method: string, path: string, body?: unknown, query?: Query): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (method !== "GET") headers["x-csrf-token"] = csrf();
  const res = await fetch(apiUrl(path, query), {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
  });
  if (res.status === 204) return undefined as T;
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError(problemFromBody(res.status, data));
  return data as T;
}

/**
 * A multipart upload with progress (fetch cannot report upload progress; XMLHttpRequest can).
 * `onProgress` gets the fraction sent, 0..1.
 */
export function upload<T>(
  method: string,
  path: string,
  form: FormData,
  onProgress: (fraction: number) => void,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, apiUrl(path));
    xhr.setRequestHeader("accept", "application/json");
    xhr.setRequestHeader("x-csrf-token", csrf());
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      let data: unknown = {};
      try {
        data = JSON.parse(xhr.responseText);
      } catch {
        /* not JSON */
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1);
        resolve(data as T);
      } else reject(new ApiError(problemFromBody(xhr.status, data)));
    };
    xhr.onerror = () =>
      reject(
        new ApiError({ status: 0, code: "network", title: "Network error", detail: "The appliance did not answer" }),
      );
    xhr.send(form);
  });
}

/** A keyset page as the API returns it. */
export interface Page<T> {
  items: T[];
  next: string | null;
}
