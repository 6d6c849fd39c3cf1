// A small HTTP client for tests: JSON in/out, a cookie jar or a bearer token, CSRF header.
export interface Res<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export class Client {
  cookies = new Map<string, string>();
  token: string | null = null;
  csrf: string | null = null;
  userId: string | null = null;
  sessionId: string | null = null;
  /** send the session as a cookie (browser-like, CSRF applies) instead of Authorization: Bearer */
  useCookies = false;

  constructor(readonly base: string) {}

  async req<T = any>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Res<T>> {
    const h: Record<string, string> = { ...headers };
    if (body !== undefined && !(body instanceof FormData)) h["content-type"] = "application/json";
    if (this.useCookies) {
      if (this.cookies.size) h.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
      if (this.csrf && method !== "GET" && !("x-csrf-token" in h)) h["x-csrf-token"] = this.csrf;
    } else if (this.token && !h.authorization) {
      h.authorization = `Bearer ${this.token}`;
    }
    const res = await fetch(this.base + path, {
      method,
      headers: h,
      body:
        body === undefined
          ? undefined
          : typeof body === "string" || body instanceof FormData
            ? body
            : JSON.stringify(body),
    });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(";");
      const i = pair.indexOf("=");
      const value = pair.slice(i + 1);
      if (value) this.cookies.set(pair.slice(0, i), value);
      else this.cookies.delete(pair.slice(0, i));
    }
    const text = await res.text();
    let parsed: any = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON */
    }
    return { status: res.status, body: parsed, headers: res.headers };
  }

  get = <T = any>(p: string) => this.req<T>("GET", p);
  /** multipart/form-data POST (fetch writes the boundary) */
  upload = <T = any>(p: string, form: FormData, headers: Record<string, string> = {}) =>
    this.req<T>("POST", p, form, headers);
  /** raw bytes of a GET */
  async bytes(p: string) {
    const res = await fetch(this.base + p, { headers: this.token ? { authorization: `Bearer ${this.token}` } : {} });
    return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
  }
  post = <T = any>(p: string, b?: unknown) => this.req<T>("POST", p, b);
  patch = <T = any>(p: string, b?: unknown) => this.req<T>("PATCH", p, b);
  put = <T = any>(p: string, b?: unknown) => this.req<T>("PUT", p, b);
  del = <T = any>(p: string) => this.req<T>("DELETE", p);

  async login(login: string, password: string, extra: Record<string, string> = {}) {
    const r = await this.post("/api/v1/auth/login", { login, password, ...extra });
    if (r.status !== 200) throw new Error(`login ${login} failed: ${r.status} ${JSON.stringify(r.body)}`);
    this.token = r.body.token;
    this.csrf = r.body.csrfToken;
    this.userId = r.body.user.id;
    this.sessionId = r.body.sessionId;
    return r;
  }
}
