import type { Command } from "../command.js";

// Being written in this session (issue 2); replaced before the issue is closed.
export const wrapCommand: Command = {
  name: "wrap",
  summary: "",
  help: "",
  run: () => Promise.reject(new Error("not implemented yet")),
};
