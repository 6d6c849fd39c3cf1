// The console's screens: path, who may open them, and the chunk that holds them (each screen is
// lazy-loaded, so the first load carries only the shell). A screen a role may not use is left out
// of its menu and refused when opened by URL; the API refuses the actions anyway.
import type { MessageKey } from "./i18n/en.js";
import { ORGANIZATION_ROLES } from "../../server/domain/shared/roles.js";

export interface Screen {
  path: string;
  tag: string;
  title: MessageKey;
  /** roles that may open it; "any" is everyone signed in */
  roles: readonly string[] | "any";
  load: () => Promise<unknown>;
  /** shown in the main menu */
  menu: boolean;
}

export const SCREENS: Screen[] = [
  {
    path: "/documents",
    tag: "q-documents-page",
    title: "nav.documents",
    roles: ORGANIZATION_ROLES,
    menu: true,
    load: () => import("./pages/documents.js"),
  },
  {
    path: "/documents/new",
    tag: "q-document-new-page",
    title: "nav.newDocument",
    roles: ["org_admin", "head", "signer", "accountant", "clerk"],
    menu: false,
    load: () => import("./pages/document-new.js"),
  },
  {
    path: "/documents/:id",
    tag: "q-document-page",
    title: "nav.document",
    roles: ORGANIZATION_ROLES,
    menu: false,
    load: () => import("./pages/document.js"),
  },
  {
    path: "/organizations",
    tag: "q-organizations-page",
    title: "nav.organizations",
    roles: ["system_admin", "org_admin"],
    menu: true,
    load: () => import("./pages/organizations.js"),
  },
  {
    path: "/organizations/:id",
    tag: "q-organization-page",
    title: "nav.organization",
    roles: ["system_admin", "org_admin"],
    menu: false,
    load: () => import("./pages/organization.js"),
  },
  {
    path: "/billing",
    tag: "q-billing-page",
    title: "nav.billing",
    roles: ["billing_operator", "system_admin", "org_admin", "head", "accountant"],
    menu: true,
    load: () => import("./pages/billing.js"),
  },
  {
    path: "/staff",
    tag: "q-staff-page",
    title: "nav.staff",
    roles: ["system_admin"],
    menu: true,
    load: () => import("./pages/staff.js"),
  },
  {
    path: "/compliance",
    tag: "q-compliance-page",
    title: "nav.compliance",
    // System administrators read it (SPEC R5.5); only compliance officers act on it.
    roles: ["compliance_officer", "system_admin"],
    menu: true,
    load: () => import("./pages/compliance.js"),
  },
  {
    path: "/audit",
    tag: "q-audit-page",
    title: "nav.audit",
    roles: ["compliance_officer", "system_admin", "org_admin"],
    menu: true,
    load: () => import("./pages/audit.js"),
  },
  {
    path: "/system",
    tag: "q-system-page",
    title: "nav.system",
    roles: ["system_admin"],
    menu: true,
    load: () => import("./pages/system.js"),
  },
  {
    path: "/notices",
    tag: "q-notices-page",
    title: "nav.notices",
    roles: "any",
    menu: true,
    load: () => import("./pages/notices.js"),
  },
  {
    path: "/account",
    tag: "q-account-page",
    title: "nav.account",
    roles: "any",
    menu: true,
    load: () => import("./pages/account.js"),
  },
];

/** The screen for a path and its parameters (`:id`), or null. Literal segments win over parameters. */
export function match(pathname: string): { screen: Screen; params: Record<string, string> } | null {
  const parts = pathname.replace(/\/+$/, "").split("/");
  let best: { screen: Screen; params: Record<string, string>; literal: number } | null = null;
  for (const screen of SCREENS) {
    const pat = screen.path.split("/");
    if (pat.length !== parts.length) continue;
    const params: Record<string, string> = {};
    let literal = 0;
    const ok = pat.every((p, i) => {
      if (p.startsWith(":")) {
        params[p.slice(1)] = decodeURIComponent(parts[i]);
        return true;
      }
      if (p === parts[i]) {
        literal++;
        return true;
      }
      return false;
    });
    if (ok && (!best || literal > best.literal)) best = { screen, params, literal };
  }
  return best && { screen: best.screen, params: best.params };
}

export const allowed = (screen: Screen, roles: string[]) =>
  screen.roles === "any" || screen.roles.some((r) => roles.includes(r));
