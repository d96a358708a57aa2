// Starts `policylang lsp` (the command is the `policylang.command` setting) for .policy files.
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const [command, ...args] = vscode.workspace.getConfiguration("policylang").get("command");
  client = new LanguageClient(
    "policylang",
    "policylang",
    { command, args },
    { documentSelector: [{ scheme: "file", language: "policylang" }] }
  );
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
