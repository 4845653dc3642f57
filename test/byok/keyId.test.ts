import test from "ava";
import { throwsByok } from "../harness/assertByok.js";
import { formatKeyId, parseKeyId, parseVaultUrl, parseVersionedKeyId } from "../../byok/index.js";
import type { KeyId } from "../../byok/index.js";

const VERSION = "eba63d27e4e34e028839b53fac905621";

const valid: readonly [string, KeyId][] = [
  // The form the BYOK specification shows, and the Managed HSM one.
  [
    `https://contosokeyvaulthsm.vault.azure.net/keys/mykek/${VERSION}`,
    {
      vaultUrl: "https://contosokeyvaulthsm.vault.azure.net",
      collection: "keys",
      name: "mykek",
      version: VERSION,
      vaultKind: "vault",
    },
  ],
  [
    `https://contoso.managedhsm.azure.net/keys/KEKforBYOK/${VERSION}`,
    {
      vaultUrl: "https://contoso.managedhsm.azure.net",
      collection: "keys",
      name: "KEKforBYOK",
      version: VERSION,
      vaultKind: "managedhsm",
    },
  ],
  // Host case is not significant; the name's case is kept.
  [
    `https://Contoso.Vault.Azure.NET/keys/My-Key/${VERSION}`,
    {
      vaultUrl: "https://contoso.vault.azure.net",
      collection: "keys",
      name: "My-Key",
      version: VERSION,
      vaultKind: "vault",
    },
  ],
  // Sovereign clouds.
  [
    "https://cn.vault.azure.cn/keys/k",
    { vaultUrl: "https://cn.vault.azure.cn", collection: "keys", name: "k", vaultKind: "vault" },
  ],
  [
    "https://gov.vault.usgovcloudapi.net/keys/k",
    {
      vaultUrl: "https://gov.vault.usgovcloudapi.net",
      collection: "keys",
      name: "k",
      vaultKind: "vault",
    },
  ],
  [
    "https://de.vault.microsoftazure.de/keys/k",
    {
      vaultUrl: "https://de.vault.microsoftazure.de",
      collection: "keys",
      name: "k",
      vaultKind: "vault",
    },
  ],
  [
    "https://cn.managedhsm.azure.cn/keys/k",
    {
      vaultUrl: "https://cn.managedhsm.azure.cn",
      collection: "keys",
      name: "k",
      vaultKind: "managedhsm",
    },
  ],
  [
    "https://gov.managedhsm.usgovcloudapi.net/keys/k",
    {
      vaultUrl: "https://gov.managedhsm.usgovcloudapi.net",
      collection: "keys",
      name: "k",
      vaultKind: "managedhsm",
    },
  ],
  // An emulator on a port; the default port disappears as in every URL parser.
  [
    `https://localhost:8443/keys/k/${VERSION}`,
    {
      vaultUrl: "https://localhost:8443",
      collection: "keys",
      name: "k",
      version: VERSION,
      vaultKind: "unknown",
    },
  ],
  [
    "https://127.0.0.1:49152/keys/k",
    { vaultUrl: "https://127.0.0.1:49152", collection: "keys", name: "k", vaultKind: "unknown" },
  ],
  [
    "https://keyvaultname.vault.azure.net:443/keys/keyName/version",
    {
      vaultUrl: "https://keyvaultname.vault.azure.net",
      collection: "keys",
      name: "keyName",
      version: "version",
      vaultKind: "vault",
    },
  ],
  // Version-less, with and without a trailing slash (the service's list answers use these).
  [
    "https://keyvaultname.vault.azure.net/keys/keyName",
    {
      vaultUrl: "https://keyvaultname.vault.azure.net",
      collection: "keys",
      name: "keyName",
      vaultKind: "vault",
    },
  ],
  [
    "https://keyvaultname.vault.azure.net/keys/keyName/",
    {
      vaultUrl: "https://keyvaultname.vault.azure.net",
      collection: "keys",
      name: "keyName",
      vaultKind: "vault",
    },
  ],
  // A soft-deleted key's recovery id.
  [
    "https://contoso.managedhsm.azure.net/deletedkeys/skr1-000001",
    {
      vaultUrl: "https://contoso.managedhsm.azure.net",
      collection: "deletedkeys",
      name: "skr1-000001",
      vaultKind: "managedhsm",
    },
  ],
  [
    `https://v.vault.azure.net/keys/${"a".repeat(127)}`,
    {
      vaultUrl: "https://v.vault.azure.net",
      collection: "keys",
      name: "a".repeat(127),
      vaultKind: "vault",
    },
  ],
];

for (const [kid, expected] of valid) {
  test(`parseKeyId accepts ${kid.length > 90 ? `${kid.slice(0, 60)}…` : kid}`, (t) => {
    t.deepEqual(parseKeyId(kid), expected);
  });
}

const invalid: readonly [string, string, RegExp][] = [
  ["not a URL", "KEKforBYOK", /is not a Key Vault key id: expected https:\/\/<vault>\/keys/],
  ["plain http", `http://contoso.vault.azure.net/keys/k/${VERSION}`, /must be an https URL/],
  [
    "a secret id",
    `https://contoso.vault.azure.net/secrets/k/${VERSION}`,
    /path must start with \/keys\/ \(found "\/secrets"\)/,
  ],
  ["no key name", "https://contoso.vault.azure.net/keys/", /invalid key name ""/],
  ["the vault URL alone", "https://contoso.vault.azure.net", /path must start with \/keys\//],
  [
    "a name with an underscore",
    `https://contoso.vault.azure.net/keys/my_key/${VERSION}`,
    /invalid key name "my_key": names are 1-127 of 0-9, a-z, A-Z and -/,
  ],
  [
    "a name of 128 characters",
    `https://contoso.vault.azure.net/keys/${"a".repeat(128)}`,
    /invalid key name/,
  ],
  [
    "a segment after the version",
    `https://contoso.vault.azure.net/keys/k/${VERSION}/extra`,
    /extra path segments/,
  ],
  [
    "a version on a deletedkeys id",
    `https://contoso.vault.azure.net/deletedkeys/k/${VERSION}`,
    /extra path segments/,
  ],
  [
    "a version with a dash",
    "https://contoso.vault.azure.net/keys/k/not-a-version",
    /invalid version "not-a-version"/,
  ],
  [
    "a query string",
    `https://contoso.vault.azure.net/keys/k/${VERSION}?api-version=7.4`,
    /carries a query, fragment or credentials/,
  ],
  [
    "credentials in the URL",
    `https://user:pw@contoso.vault.azure.net/keys/k/${VERSION}`,
    /carries a query, fragment or credentials/,
  ],
];

for (const [title, kid, message] of invalid) {
  test(`parseKeyId refuses ${title} with ERR_KEY_ID naming the id`, (t) => {
    const error = throwsByok(t, () => parseKeyId(kid, "kekKid"), "ERR_KEY_ID", message);
    t.true(error.message.startsWith("kekKid "));
  });
}

test("parseVersionedKeyId refuses a version-less id and says to use the full id", (t) => {
  throwsByok(
    t,
    () => parseVersionedKeyId("https://contoso.managedhsm.azure.net/keys/KEKforBYOK", "--kek-kid"),
    "ERR_KEY_ID",
    /^--kek-kid ".*" has no version: use the KEK's full id/,
  );
});

test("parseVersionedKeyId refuses a deletedkeys id", (t) => {
  throwsByok(
    t,
    () => parseVersionedKeyId("https://contoso.managedhsm.azure.net/deletedkeys/KEKforBYOK"),
    "ERR_KEY_ID",
    /has no version/,
  );
});

test("parseVaultUrl normalizes the base URL and refuses a path, naming the property", (t) => {
  t.deepEqual(parseVaultUrl("https://Contoso.ManagedHSM.azure.net/"), {
    vaultUrl: "https://contoso.managedhsm.azure.net",
    vaultKind: "managedhsm",
  });
  throwsByok(
    t,
    () => parseVaultUrl("https://contoso.vault.azure.net/keys/k"),
    "ERR_KEY_ID",
    /^vaultUrl ".*" has a path "\/keys\/k": give only the vault's base URL/,
  );
});

test("formatKeyId and parseKeyId round-trip", (t) => {
  const kid = formatKeyId("https://localhost:8443/", "k-1", VERSION);
  t.is(kid, `https://localhost:8443/keys/k-1/${VERSION}`);
  t.is(parseKeyId(kid).version, VERSION);
});
