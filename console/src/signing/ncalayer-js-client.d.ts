// Types for the parts of ncalayer-js-client the console uses (the package ships JavaScript only).
declare module "ncalayer-js-client" {
  export class NCALayerClient {
    constructor(url?: string, allowKmdHttpApi?: boolean);
    connect(): Promise<string>;
    basicsSignCMS(
      allowedStorages: string[] | null,
      data: string | ArrayBuffer,
      signingParams: object,
      signerParams: object,
      locale?: string,
    ): Promise<string | string[]>;
    static get basicsStorageAll(): null;
    static get basicsCMSParamsDetachedNoTSP(): object;
  }
}
