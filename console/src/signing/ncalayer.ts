// Signing through NCALayer, the NCA RK's desktop signing agent, over its local WebSocket API with
// the maintained client `ncalayer-js-client` (seeds 000 §1.13, §6.6.3). The person picks the key in
// NCALayer's own window — a PKCS#12 file, Kaztoken, an ID card; we ask for a detached CMS over the
// bytes (no timestamp: the appliance adds it, SPEC R3.3) with a SIGNATURE or an AUTH key, and check
// what comes back before sending it: the key type and validity.
import { NCALayerClient } from "ncalayer-js-client";
import { language } from "../i18n/i18n.js";
import type { BrowserSigner } from "../signer.js";
import { readCertificate } from "./certificate.js";
import { children, element, parse } from "./der.js";
import { checkCertificateFor, SignerRefusal } from "./fileSigner.js";

// Extended key usages NCALayer filters the person's keys by: e-mail protection marks a signing
// key, TLS client authentication an AUTH key.
const PURPOSE_EKU = { sign: ["1.3.6.1.5.5.7.3.4"], auth: ["1.3.6.1.5.5.7.3.2"] };

/** The signer's certificate in a CMS SignedData (the first of its certificates). */
function signerCertificate(cmsB64: string) {
  const der = Uint8Array.from(atob(cmsB64), (c) => c.charCodeAt(0));
  const signedData = children(children(parse(der))[1])[0];
  const certs = children(signedData).find((e) => e.tag === 0xa0);
  if (!certs) throw new Error("NCALayer returned a signature without its certificate");
  return readCertificate(element(certs.der, certs.start).whole.slice());
}

export async function ncalayerSigner(url: string): Promise<BrowserSigner> {
  let client: NCALayerClient | null = null;
  const connect = async () => {
    if (client) return client;
    const c = new NCALayerClient(url, false);
    try {
      await c.connect();
    } catch {
      throw new SignerRefusal(
        "ncalayer_unavailable",
        `NCALayer does not answer at ${url}: start NCALayer and try again`,
      );
    }
    client = c;
    return c;
  };
  await connect();
  return {
    name: "NCALayer",
    async sign(dataBase64, purpose) {
      const c = await connect();
      let cms: string;
      try {
        cms = (await c.basicsSignCMS(
          NCALayerClient.basicsStorageAll,
          dataBase64,
          NCALayerClient.basicsCMSParamsDetachedNoTSP,
          { extKeyUsageOids: PURPOSE_EKU[purpose] },
          language() === "kk" ? "kk" : language() === "en" ? "en" : "ru",
        )) as string;
      } catch (err) {
        const e = err as { canceledByUser?: boolean; message?: string };
        if (e.canceledByUser) throw new SignerRefusal("cancelled", "signing was cancelled in NCALayer");
        client = null; // a closed connection is opened again next time
        throw new SignerRefusal("ncalayer_unavailable", `NCALayer: ${e.message ?? String(err)}`);
      }
      checkCertificateFor(signerCertificate(cms), purpose);
      return cms;
    },
  };
}
