/**
 * The PKCS#11 seam: everything that talks to a token through its vendor's library. The native
 * binding loads only when one of these functions runs. Entered only through this file.
 *
 * @module
 */
export { TokenError, isTokenError } from "./errors.js";
export type { TokenErrorCode } from "./errors.js";
export { wrapInToken } from "./wrapInToken.js";
export type { WrapInTokenOptions, WrapInTokenResult } from "./wrapInToken.js";
export { listTokens } from "./listTokens.js";
export type { ListTokensOptions, ListedSlot, TokenListing } from "./listTokens.js";
export { planWrap } from "./mechanisms.js";
export type { WrapPlan, PlanWrapOptions, SingleStepPlan, TwoStepPlan } from "./mechanisms.js";
export { CKM, mechanismName } from "./constants.js";
export { SOFTHSM2_MODULE_PATHS, openModule, listSlots, selectSlot, openSession } from "./token.js";
export type {
  OpenedModule,
  SlotSummary,
  TokenSelector,
  TokenSession,
  TokenSummary,
} from "./token.js";
export { findTargetKey, publicKeyOf, readAttribute, describeKey, findObjects } from "./keys.js";
export type { KeySummary, TargetKeyOnToken } from "./keys.js";
export { CKA } from "./constants.js";
