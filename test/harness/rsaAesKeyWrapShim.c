/*
 * A PKCS#11 module that is SoftHSM2 plus the single-step CKM_RSA_AES_KEY_WRAP (PKCS#11 v2.40
 * §2.1.21), for tests of `azure-byok pkcs11 wrap` on a token that offers it. SoftHSM2 2.6.1 does
 * not, and no free token does, so this shim adds it.
 *
 * Every function is SoftHSM2's (the function list is a copy of its own) except:
 * - C_GetMechanismList and C_GetMechanismInfo, which add CKM_RSA_AES_KEY_WRAP (C_WrapKey only);
 * - C_WrapKey with CKM_RSA_AES_KEY_WRAP, done as the mechanism defines it, inside SoftHSM2: a
 *   session AES key of ulAESKeyBits, the target wrapped under it with CKM_AES_KEY_WRAP_PAD
 *   (RFC 5649 in SoftHSM2), that key wrapped under the RSA key with CKM_RSA_PKCS_OAEP and the
 *   caller's OAEP parameters, the two joined, the AES key destroyed. Its parameters are checked
 *   as Azure needs them (256-bit AES key, OAEP SHA-1, MGF1-SHA-1, empty label):
 *   CKR_MECHANISM_PARAM_INVALID otherwise.
 *
 * Built by test/harness/rsaAesKeyWrapShim.ts with -DSHIM_TARGET="<libsofthsm2.so>". Each
 * CKM_RSA_AES_KEY_WRAP call appends one line to the file in AZURE_BYOK_SHIM_LOG (when set), so a
 * test can see the single step was used, with which parameters, and for which key.
 * AZURE_BYOK_SHIM_MODE (read at each call) makes it behave like stricter tokens:
 * - "refuse-single": CKM_RSA_AES_KEY_WRAP fails with CKR_MECHANISM_INVALID (a token that lists
 *   it but will not wrap this key with it);
 * - "no-sha1": OAEP with SHA-1, in one step or two, fails with CKR_MECHANISM_PARAM_INVALID (an
 *   HSM in a FIPS mode that forbids SHA-1).
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pkcs11.h"

#ifndef SHIM_TARGET
#error "build with -DSHIM_TARGET=\"/path/to/libsofthsm2.so\""
#endif

static CK_FUNCTION_LIST real;
static CK_FUNCTION_LIST shim;
static int loaded;

static int mode_is(const char *mode) {
  const char *value = getenv("AZURE_BYOK_SHIM_MODE");
  return value != NULL && strcmp(value, mode) == 0;
}

static int oaep_is_sha1(const CK_MECHANISM *mechanism) {
  const CK_RSA_PKCS_OAEP_PARAMS *oaep = mechanism->pParameter;
  return mechanism->ulParameterLen == sizeof(CK_RSA_PKCS_OAEP_PARAMS) && oaep != NULL &&
         oaep->hashAlg == CKM_SHA_1;
}

static CK_RV shim_GetMechanismList(CK_SLOT_ID slot, CK_MECHANISM_TYPE_PTR list, CK_ULONG_PTR count) {
  CK_ULONG n = 0;
  CK_RV rv = real.C_GetMechanismList(slot, NULL, &n);
  if (rv != CKR_OK) return rv;
  if (list == NULL) {
    *count = n + 1;
    return CKR_OK;
  }
  if (*count < n + 1) {
    *count = n + 1;
    return CKR_BUFFER_TOO_SMALL;
  }
  rv = real.C_GetMechanismList(slot, list, &n);
  if (rv != CKR_OK) return rv;
  list[n] = CKM_RSA_AES_KEY_WRAP;
  *count = n + 1;
  return CKR_OK;
}

static CK_RV shim_GetMechanismInfo(CK_SLOT_ID slot, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO_PTR info) {
  if (type != CKM_RSA_AES_KEY_WRAP) return real.C_GetMechanismInfo(slot, type, info);
  /* The RSA key's modulus in bits, as for CKM_RSA_PKCS_OAEP. */
  info->ulMinKeySize = 1024;
  info->ulMaxKeySize = 16384;
  info->flags = CKF_WRAP;
  return CKR_OK;
}

/* One line per single-step call: what a test asserts to know this path ran. */
static void record(CK_SESSION_HANDLE session, CK_OBJECT_HANDLE key, const CK_RSA_AES_KEY_WRAP_PARAMS *params,
                   CK_RV rv) {
  const char *path = getenv("AZURE_BYOK_SHIM_LOG");
  if (path == NULL) return;
  char label[256] = {0};
  CK_ATTRIBUTE attribute = {CKA_LABEL, label, sizeof(label) - 1};
  if (real.C_GetAttributeValue(session, key, &attribute, 1) != CKR_OK) strcpy(label, "?");
  FILE *log = fopen(path, "a");
  if (log == NULL) return;
  const CK_RSA_PKCS_OAEP_PARAMS *oaep = params == NULL ? NULL : params->pOAEPParams;
  fprintf(log,
          "C_WrapKey CKM_RSA_AES_KEY_WRAP label=%s ulAESKeyBits=%lu hashAlg=0x%lx mgf=0x%lx source=0x%lx "
          "sourceLen=%lu rv=0x%lx\n",
          label, params == NULL ? 0 : params->ulAESKeyBits, oaep == NULL ? 0 : oaep->hashAlg,
          oaep == NULL ? 0 : oaep->mgf, oaep == NULL ? 0 : oaep->source, oaep == NULL ? 0 : oaep->ulSourceDataLen,
          rv);
  fclose(log);
}

static CK_RV check_params(const CK_MECHANISM *mechanism) {
  const CK_RSA_AES_KEY_WRAP_PARAMS *params = mechanism->pParameter;
  if (params == NULL || mechanism->ulParameterLen != sizeof(CK_RSA_AES_KEY_WRAP_PARAMS)) {
    return CKR_MECHANISM_PARAM_INVALID;
  }
  const CK_RSA_PKCS_OAEP_PARAMS *oaep = params->pOAEPParams;
  if (params->ulAESKeyBits != 256 || oaep == NULL || oaep->hashAlg != CKM_SHA_1 || oaep->mgf != CKG_MGF1_SHA1 ||
      oaep->source != CKZ_DATA_SPECIFIED || oaep->pSourceData != NULL || oaep->ulSourceDataLen != 0) {
    return CKR_MECHANISM_PARAM_INVALID;
  }
  return mode_is("no-sha1") ? CKR_MECHANISM_PARAM_INVALID : CKR_OK;
}

static CK_RV wrap_two_steps(CK_SESSION_HANDLE session, const CK_RSA_AES_KEY_WRAP_PARAMS *params,
                            CK_OBJECT_HANDLE rsa, CK_OBJECT_HANDLE key, CK_BYTE_PTR out, CK_ULONG_PTR outLen) {
  CK_OBJECT_CLASS secret = CKO_SECRET_KEY;
  CK_KEY_TYPE aes = CKK_AES;
  CK_ULONG bytes = params->ulAESKeyBits / 8;
  CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
  CK_ATTRIBUTE template[] = {
      {CKA_CLASS, &secret, sizeof(secret)}, {CKA_KEY_TYPE, &aes, sizeof(aes)},   {CKA_VALUE_LEN, &bytes, sizeof(bytes)},
      {CKA_TOKEN, &no, sizeof(no)},         {CKA_SENSITIVE, &yes, sizeof(yes)}, {CKA_EXTRACTABLE, &yes, sizeof(yes)},
      {CKA_WRAP, &yes, sizeof(yes)},
  };
  CK_MECHANISM keyGen = {CKM_AES_KEY_GEN, NULL, 0};
  CK_OBJECT_HANDLE aesKey;
  CK_RV rv = real.C_GenerateKey(session, &keyGen, template, sizeof(template) / sizeof(template[0]), &aesKey);
  if (rv != CKR_OK) return rv;
  CK_BYTE rsaOut[2048], kwpOut[16384];
  CK_ULONG rsaLen = sizeof(rsaOut), kwpLen = sizeof(kwpOut);
  CK_MECHANISM kwp = {CKM_AES_KEY_WRAP_PAD, NULL, 0};
  CK_MECHANISM oaep = {CKM_RSA_PKCS_OAEP, params->pOAEPParams, sizeof(CK_RSA_PKCS_OAEP_PARAMS)};
  rv = real.C_WrapKey(session, &kwp, aesKey, key, kwpOut, &kwpLen);
  if (rv == CKR_OK) rv = real.C_WrapKey(session, &oaep, rsa, aesKey, rsaOut, &rsaLen);
  real.C_DestroyObject(session, aesKey);
  if (rv != CKR_OK) return rv;
  CK_ULONG total = rsaLen + kwpLen;
  if (out == NULL) {
    *outLen = total;
    return CKR_OK;
  }
  if (*outLen < total) {
    *outLen = total;
    return CKR_BUFFER_TOO_SMALL;
  }
  memcpy(out, rsaOut, rsaLen);
  memcpy(out + rsaLen, kwpOut, kwpLen);
  *outLen = total;
  return CKR_OK;
}

static CK_RV shim_WrapKey(CK_SESSION_HANDLE session, CK_MECHANISM_PTR mechanism, CK_OBJECT_HANDLE wrapping,
                          CK_OBJECT_HANDLE key, CK_BYTE_PTR out, CK_ULONG_PTR outLen) {
  if (mechanism == NULL || mechanism->mechanism != CKM_RSA_AES_KEY_WRAP) {
    if (mechanism != NULL && mechanism->mechanism == CKM_RSA_PKCS_OAEP && mode_is("no-sha1") &&
        oaep_is_sha1(mechanism)) {
      return CKR_MECHANISM_PARAM_INVALID;
    }
    return real.C_WrapKey(session, mechanism, wrapping, key, out, outLen);
  }
  const CK_RSA_AES_KEY_WRAP_PARAMS *params = mechanism->pParameter;
  CK_RV rv = mode_is("refuse-single") ? CKR_MECHANISM_INVALID : check_params(mechanism);
  if (rv == CKR_OK) rv = wrap_two_steps(session, params, wrapping, key, out, outLen);
  record(session, key, mechanism->ulParameterLen == sizeof(*params) ? params : NULL, rv);
  return rv;
}

static CK_RV shim_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list);

static CK_RV load(void) {
  if (loaded) return CKR_OK;
  void *handle = dlopen(SHIM_TARGET, RTLD_NOW | RTLD_LOCAL);
  if (handle == NULL) return CKR_GENERAL_ERROR;
  CK_C_GetFunctionList getFunctionList = (CK_C_GetFunctionList)dlsym(handle, "C_GetFunctionList");
  CK_FUNCTION_LIST_PTR target = NULL;
  if (getFunctionList == NULL || getFunctionList(&target) != CKR_OK || target == NULL) return CKR_GENERAL_ERROR;
  real = *target;
  shim = *target;
  shim.C_GetFunctionList = shim_GetFunctionList;
  shim.C_GetMechanismList = shim_GetMechanismList;
  shim.C_GetMechanismInfo = shim_GetMechanismInfo;
  shim.C_WrapKey = shim_WrapKey;
  loaded = 1;
  return CKR_OK;
}

static CK_RV shim_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list) {
  if (list == NULL) return CKR_ARGUMENTS_BAD;
  CK_RV rv = load();
  if (rv != CKR_OK) return rv;
  *list = &shim;
  return CKR_OK;
}

CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list) { return shim_GetFunctionList(list); }
