/** The tool's name and version written into the `.byok` `generator` field. Kept in step with package.json by a test. */
export const BYOK_TOOL_NAME = "pulumi-azure-byok";
export const BYOK_TOOL_VERSION = "0.1.0";
