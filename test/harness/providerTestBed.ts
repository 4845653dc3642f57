/**
 * What a provider test file that drives the emulator through the real plugin host starts before
 * its tests and stops after them: an emulator, the `__provider` texts, a configured host whose
 * environment points at the emulator. One place for the order and for a start that fails
 * part-way (what did start is stopped).
 *
 * @module
 */
import type { EmulatorOptions } from "../../emulator/index.js";
import { startTestEmulator } from "./emulatorHarness.js";
import type { TestEmulator } from "./emulatorHarness.js";
import { serializeProviders, startPluginHost } from "./pluginHost.js";
import type { PluginHost, SerializedProviders } from "./pluginHost.js";

/** A started emulator and plugin host; `stop()` closes the host, then the emulator. */
export interface ProviderTestBed {
  readonly emulator: TestEmulator;
  readonly host: PluginHost;
  readonly providers: SerializedProviders;
  stop(): Promise<void>;
}

/** Starts the emulator with `options`, then a plugin host configured against it. */
export async function startProviderTestBed(options: EmulatorOptions): Promise<ProviderTestBed> {
  const emulator = await startTestEmulator(options);
  let host: PluginHost | undefined;
  try {
    const providers = await serializeProviders();
    host = await startPluginHost({ env: emulator.emulator.env });
    await host.configure();
    const started = host;
    return {
      emulator,
      host: started,
      providers,
      async stop() {
        await started.close();
        await emulator.emulator.stop();
      },
    };
  } catch (error) {
    await host?.close();
    await emulator.emulator.stop();
    throw error;
  }
}
