// The resolve hook of hostProbe.cjs: reports each resolved ES module URL to the probe.
let port;

export function initialize(data) {
  port = data.port;
}

export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  if (port !== undefined && result.url.includes("/@azure/")) port.postMessage(result.url);
  return result;
}
