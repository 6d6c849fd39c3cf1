// Typed events the console's components fire (one class per event, as Shoelace does).
export interface RouteStep {
  approvers: string[];
  mode: "any" | "all";
}

/** <q-route-editor>: the approval route changed. */
export class RouteChangeEvent extends Event {
  static readonly type = "q-route-change";
  constructor(readonly steps: RouteStep[]) {
    super(RouteChangeEvent.type, { bubbles: true, composed: true });
  }
}

/** <q-upload>: the chosen files changed. */
export class FilesChangeEvent extends Event {
  static readonly type = "q-files-change";
  constructor(readonly files: File[]) {
    super(FilesChangeEvent.type, { bubbles: true, composed: true });
  }
}

/** <q-paged-table>: a page was shown (its number from 1, and how many rows it has). */
export class PageShowEvent extends Event {
  static readonly type = "q-page-show";
  constructor(
    readonly page: number,
    readonly rows: number,
  ) {
    super(PageShowEvent.type, { bubbles: true, composed: true });
  }
}

/** <q-key-file>: a key file now signs in this tab (window.qujatSigner). */
export class SignerChangeEvent extends Event {
  static readonly type = "q-signer-change";
  constructor(readonly name: string) {
    super(SignerChangeEvent.type, { bubbles: true, composed: true });
  }
}

declare global {
  interface HTMLElementEventMap {
    "q-route-change": RouteChangeEvent;
    "q-files-change": FilesChangeEvent;
    "q-page-show": PageShowEvent;
    "q-signer-change": SignerChangeEvent;
  }
}
