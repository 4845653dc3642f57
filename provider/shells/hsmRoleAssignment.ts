/**
 * The provider object of `ManagedHsmRoleAssignment`: the whole `module.exports` of this module, so that
 * Pulumi's serializer can store it as a `require()` of this module by name
 * (see ../installLayout.ts). Each method only loads the implementation by package name and calls
 * it: the stored form holds no path of this machine either way, and the plugin host loads the
 * implementation from the program's `node_modules` (reference §1.4). Only this type's
 * implementation (`provider/runtime/<type>`, see package.json): a host running one type's check
 * does not load the others' code.
 *
 * No comment sits inside a method and the methods are arrow functions: where the object is
 * stored by value, the serializer copies each method's text and wraps it in about 170 bytes.
 *
 * @module
 * @internal
 */
/* eslint-disable @typescript-eslint/no-require-imports -- the implementation is resolved by package name at run time, on purpose */
import type * as pulumi from "@pulumi/pulumi";
import { asSerializableShell } from "../installLayout.js";
import type * as RuntimeModule from "../hsmRoleAssignmentRuntime.js";

type Props = Record<string, unknown>;

function runtime(): typeof RuntimeModule {
  return require("pulumi-azure-byok/provider/runtime/hsmRoleAssignment") as typeof RuntimeModule;
}

const provider: pulumi.dynamic.ResourceProvider<Props, Props> = {
  check: (olds, news) =>
    Promise.resolve(runtime().hsmRoleAssignmentImplementation.check(olds, news)),
  diff: (id, olds, news) =>
    Promise.resolve(runtime().hsmRoleAssignmentImplementation.diff(id, olds, news)),
  create: (inputs) => runtime().hsmRoleAssignmentImplementation.create(inputs),
  read: (id, props) => runtime().hsmRoleAssignmentImplementation.read(id, props),
  update: (id, olds, news) => runtime().hsmRoleAssignmentImplementation.update(id, olds, news),
  delete: (id, props) => runtime().hsmRoleAssignmentImplementation.delete(id, props),
};

export = asSerializableShell(provider, __filename);
