/**
 * The one credential of the plugin process: `DefaultAzureCredential` (environment, workload
 * identity, managed identity — which is how the emulator's `IDENTITY_ENDPOINT` works — Azure
 * CLI), never anything from resource inputs. It is built on first use inside an operation, never
 * at module scope, so nothing of it is ever serialized with a provider (reference §1.4).
 *
 * It remembers the claims of the last token it handed out (never the token) so a 403 can name the
 * identity that was refused.
 *
 * @module
 * @internal
 */
import { DefaultAzureCredential } from "@azure/identity";
import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/identity";

/** Who a token was issued to, as a 403 message names it. */
export interface TokenIdentity {
  readonly objectId?: string;
  readonly appId?: string;
  readonly upn?: string;
  readonly tenantId?: string;
}

function identityOf(token: string): TokenIdentity | undefined {
  const payload = token.split(".")[1];
  if (payload === undefined) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<
      string,
      unknown
    >;
    const text = (key: string): Record<string, string> =>
      typeof claims[key] === "string" ? { [key]: claims[key] } : {};
    const { oid, appid, azp, upn, tid } = {
      ...text("oid"),
      ...text("appid"),
      ...text("azp"),
      ...text("upn"),
      ...text("tid"),
    };
    return {
      ...(oid === undefined ? {} : { objectId: oid }),
      ...((appid ?? azp) === undefined ? {} : { appId: (appid ?? azp) as string }),
      ...(upn === undefined ? {} : { upn }),
      ...(tid === undefined ? {} : { tenantId: tid }),
    };
  } catch {
    return undefined;
  }
}

/** A credential that records whom its last token was for. */
class RecordingCredential implements TokenCredential {
  lastIdentity: TokenIdentity | undefined;
  private readonly inner: TokenCredential;

  constructor(inner: TokenCredential) {
    this.inner = inner;
  }

  async getToken(
    scopes: string | string[],
    options?: GetTokenOptions,
  ): Promise<AccessToken | null> {
    const token = await this.inner.getToken(scopes, options);
    if (token !== null) this.lastIdentity = identityOf(token.token);
    return token;
  }
}

let credential: RecordingCredential | undefined;

/** The process's credential, built on first use. */
export function getCredential(): TokenCredential {
  credential ??= new RecordingCredential(new DefaultAzureCredential());
  return credential;
}

/** The identity of the last token handed out in this process, if any. */
export function lastTokenIdentity(): TokenIdentity | undefined {
  return credential?.lastIdentity;
}
