// The base of every console element: shared styles, re-render on a language change, and `act()`
// which runs one API action, remembers its problem (shown next to the action) and its busy state.
import { LitElement } from "lit";
import { property, state } from "lit/decorators.js";
import { api, type Problem } from "../../api/client.js";
import { LocaleController } from "../../i18n/i18n.js";
import { shared } from "./shared.styles.js";
import { problemOf, takeSubmittedForm } from "./problem.js";

export interface Grant {
  id: string;
  role: string;
  organizationId: string | null;
  branchId: string | null;
}
export interface Me {
  id: string;
  login: string;
  fullName: string;
  email: string;
  language: string;
  totpEnabled: boolean;
  totpEnrolmentRequired: boolean;
  roles: Grant[];
}

export class QElement extends LitElement {
  static styles = [shared];
  /** the problem of the last failed action, keyed by the action's name */
  @state() protected problems: Record<string, Problem | null> = {};
  @state() protected busy = "";

  constructor() {
    super();
    new LocaleController(this);
  }

  /** Runs `fn` as action `name`: its problem (if any) is kept under that name, success clears it. */
  protected async act<T>(name: string, fn: () => Promise<T>): Promise<T | undefined> {
    this.busy = name;
    try {
      const r = await fn();
      this.problems = { ...this.problems, [name]: null };
      return r;
    } catch (e) {
      this.problems = { ...this.problems, [name]: problemOf(e) };
      return undefined;
    } finally {
      this.busy = "";
    }
  }
}

/**
 * A screen: gets the signed-in user and the path's parameters from the shell, loads its data when
 * attached (`load`), and runs its API actions with `run`, which reloads the screen after a success
 * and refreshes the shell's banners (a payment or a block may change them).
 */
export class QScreen extends QElement {
  @property({ attribute: false }) me: Me | null = null;
  @property({ attribute: false }) params: Record<string, string> = {};

  connectedCallback() {
    super.connectedCallback();
    void this.load();
  }

  protected async load(): Promise<void> {}

  protected async run(name: string, method: string, path: string, body?: unknown) {
    const form = takeSubmittedForm();
    const r = await this.act(name, () => api(method, path, body).then((x) => x ?? true));
    if (r) {
      // Done: the form is empty again for the next one, and focus goes back to its first field —
      // a second branch is never created under the first one's parent by values left behind.
      // Fields a template fills in (a profile, a default date) carry it as their default (the
      // value attribute): the reset restores it, and a re-render never overwrites typing.
      if (form) {
        form.reset();
        form.querySelector<HTMLElement>("input:not([type=hidden]), select, textarea")?.focus();
      }
      await this.load();
      window.dispatchEvent(new Event("qujat-refresh-banners"));
    }
    return r;
  }
}

/** Roles held anywhere (appliance-wide or in an organization). */
export const hasRole = (me: Me | null, ...roles: string[]) => Boolean(me?.roles.some((g) => roles.includes(g.role)));

/** Navigates inside the console without a reload. */
export function navigate(path: string) {
  history.pushState(null, "", path);
  window.dispatchEvent(new PopStateEvent("popstate"));
}
