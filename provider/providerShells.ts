/**
 * The provider objects that `dynamic.Resource` serializes into state as `__provider`, one per
 * resource type.
 *
 * Each method only resolves the implementation by package name and calls it. Pulumi's closure
 * serializer never captures `require` (it is the deserialized module's own), so the stored code
 * holds no path of this machine and resolves `pulumi-azure-byok/provider/runtime` from the
 * program's `node_modules` in the plugin host (reference §1.4). The objects live at module scope
 * so they are serialized once (the SDK caches per provider object), and their methods do not use
 * `this`.
 *
 * Size: the serializer wraps every function it stores in about 170 bytes of scaffolding, so the
 * stored text is 2.2 to 2.3 KB per resource type (seven functions: six methods and `runtime`),
 * most of it that scaffolding. The methods are arrow functions (stored without a `function`
 * header) and no comment sits inside a stored function (the compiled code keeps comments and the
 * serializer copies a function's text); together that saves about 370 bytes per type.
 * test/provider/program.test.ts bounds the size.
 *
 * @module
 * @internal
 */
/* eslint-disable @typescript-eslint/no-require-imports -- the implementation is resolved by package name at run time, on purpose */
import type * as pulumi from "@pulumi/pulumi";
import type * as RuntimeModule from "./runtime.js";

type Runtime = typeof RuntimeModule;
type Props = Record<string, unknown>;
type Provider = pulumi.dynamic.ResourceProvider<Props, Props>;

/** Loads the implementation by package name, from wherever the plugin host runs. */
function runtime(): Runtime {
  return require("pulumi-azure-byok/provider/runtime") as Runtime;
}

/** The provider of `ImportKek`. */
export const importKekProvider: Provider = {
  check: (olds, news) => Promise.resolve(runtime().importKekImplementation.check(olds, news)),
  diff: (id, olds, news) => Promise.resolve(runtime().importKekImplementation.diff(id, olds, news)),
  create: (inputs) => runtime().importKekImplementation.create(inputs),
  read: (id, props) => runtime().importKekImplementation.read(id, props),
  update: (id, olds, news) => runtime().importKekImplementation.update(id, olds, news),
  delete: (id, props) => runtime().importKekImplementation.delete(id, props),
};

/** The provider of `ByokImportedKey`. */
export const byokImportedKeyProvider: Provider = {
  check: (olds, news) => Promise.resolve(runtime().byokImportedKeyImplementation.check(olds, news)),
  diff: (id, olds, news) =>
    Promise.resolve(runtime().byokImportedKeyImplementation.diff(id, olds, news)),
  create: (inputs) => runtime().byokImportedKeyImplementation.create(inputs),
  read: (id, props) => runtime().byokImportedKeyImplementation.read(id, props),
  update: (id, olds, news) => runtime().byokImportedKeyImplementation.update(id, olds, news),
  delete: (id, props) => runtime().byokImportedKeyImplementation.delete(id, props),
};

/** The provider of `ManagedHsmActivation`. */
export const hsmActivationProvider: Provider = {
  check: (olds, news) => Promise.resolve(runtime().hsmActivationImplementation.check(olds, news)),
  diff: (id, olds, news) =>
    Promise.resolve(runtime().hsmActivationImplementation.diff(id, olds, news)),
  create: (inputs) => runtime().hsmActivationImplementation.create(inputs),
  read: (id, props) => runtime().hsmActivationImplementation.read(id, props),
  update: (id, olds, news) => runtime().hsmActivationImplementation.update(id, olds, news),
  delete: () => runtime().hsmActivationImplementation.delete(),
};

/** The provider of `ManagedHsmRoleAssignment`. */
export const hsmRoleAssignmentProvider: Provider = {
  check: (olds, news) =>
    Promise.resolve(runtime().hsmRoleAssignmentImplementation.check(olds, news)),
  diff: (id, olds, news) =>
    Promise.resolve(runtime().hsmRoleAssignmentImplementation.diff(id, olds, news)),
  create: (inputs) => runtime().hsmRoleAssignmentImplementation.create(inputs),
  read: (id, props) => runtime().hsmRoleAssignmentImplementation.read(id, props),
  update: (id, olds, news) => runtime().hsmRoleAssignmentImplementation.update(id, olds, news),
  delete: (id, props) => runtime().hsmRoleAssignmentImplementation.delete(id, props),
};
