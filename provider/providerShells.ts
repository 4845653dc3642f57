/**
 * The provider objects that `dynamic.Resource` serializes into state as `__provider`, one per
 * resource type.
 *
 * Each method only resolves the implementation by package name and calls it. Pulumi's closure
 * serializer never captures `require` (it is the deserialized module's own), so the stored code
 * is a few hundred bytes, holds no path of this machine, and resolves
 * `pulumi-azure-byok/provider/runtime` from the program's `node_modules` in the plugin host
 * (reference §1.4). The objects live at module scope so they are serialized once (the SDK caches
 * per provider object), and their methods do not use `this`.
 *
 * @module
 * @internal
 */
import type * as pulumi from "@pulumi/pulumi";
import type * as RuntimeModule from "./runtime.js";

type Runtime = typeof RuntimeModule;
type Props = Record<string, unknown>;
type Provider = pulumi.dynamic.ResourceProvider<Props, Props>;

/** Loads the implementation by package name, from wherever the plugin host runs. */
function runtime(): Runtime {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- resolved by name at run time, on purpose
  return require("pulumi-azure-byok/provider/runtime") as Runtime;
}

/** The provider of `ImportKek`. */
export const importKekProvider: Provider = {
  check(olds, news) {
    return Promise.resolve(runtime().importKekImplementation.check(olds, news));
  },
  diff(id, olds, news) {
    return Promise.resolve(runtime().importKekImplementation.diff(id, olds, news));
  },
  async create(inputs) {
    return runtime().importKekImplementation.create(inputs);
  },
  async read(id, props) {
    return runtime().importKekImplementation.read(id, props);
  },
  async update(id, olds, news) {
    return runtime().importKekImplementation.update(id, olds, news);
  },
  async delete(id, props) {
    return runtime().importKekImplementation.delete(id, props);
  },
};

/** The provider of `ByokImportedKey`. */
export const byokImportedKeyProvider: Provider = {
  check(olds, news) {
    return Promise.resolve(runtime().byokImportedKeyImplementation.check(olds, news));
  },
  diff(id, olds, news) {
    return Promise.resolve(runtime().byokImportedKeyImplementation.diff(id, olds, news));
  },
  async create(inputs) {
    return runtime().byokImportedKeyImplementation.create(inputs);
  },
  async read(id, props) {
    return runtime().byokImportedKeyImplementation.read(id, props);
  },
  async update(id, olds, news) {
    return runtime().byokImportedKeyImplementation.update(id, olds, news);
  },
  async delete(id, props) {
    return runtime().byokImportedKeyImplementation.delete(id, props);
  },
};

/** The provider of `ManagedHsmActivation`. */
export const hsmActivationProvider: Provider = {
  check(olds, news) {
    return Promise.resolve(runtime().hsmActivationImplementation.check(olds, news));
  },
  diff(id, olds, news) {
    return Promise.resolve(runtime().hsmActivationImplementation.diff(id, olds, news));
  },
  async create(inputs) {
    return runtime().hsmActivationImplementation.create(inputs);
  },
  async read(id, props) {
    return runtime().hsmActivationImplementation.read(id, props);
  },
  async update(id, olds, news) {
    return runtime().hsmActivationImplementation.update(id, olds, news);
  },
  async delete() {
    return runtime().hsmActivationImplementation.delete();
  },
};

/** The provider of `ManagedHsmRoleAssignment`. */
export const hsmRoleAssignmentProvider: Provider = {
  check(olds, news) {
    return Promise.resolve(runtime().hsmRoleAssignmentImplementation.check(olds, news));
  },
  diff(id, olds, news) {
    return Promise.resolve(runtime().hsmRoleAssignmentImplementation.diff(id, olds, news));
  },
  async create(inputs) {
    return runtime().hsmRoleAssignmentImplementation.create(inputs);
  },
  async read(id, props) {
    return runtime().hsmRoleAssignmentImplementation.read(id, props);
  },
  async update(id, olds, news) {
    return runtime().hsmRoleAssignmentImplementation.update(id, olds, news);
  },
  async delete(id, props) {
    return runtime().hsmRoleAssignmentImplementation.delete(id, props);
  },
};
