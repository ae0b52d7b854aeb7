// The MCP TypeScript SDK (@modelcontextprotocol/sdk) against interop: answers the `approval`
// agent's elicitation by the form's schema, then continues a thread from what a client that
// drops `_meta` keeps. Prints one JSON report for tests/e2e/test_js_clients.py to check.
// Usage: node mcp_elicitation.mjs <MCP endpoint url>
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";

// A value for each field of a form, as a person filling it in would give.
function fill(schema) {
  const content = {};
  for (const [name, field] of Object.entries(schema.properties ?? {})) {
    if (field.type === "boolean") content[name] = true;
    else if (field.enum) content[name] = field.enum[0];
    else if (field.type === "number" || field.type === "integer") content[name] = 1;
    else content[name] = "yes";
  }
  return content;
}

const report = { forms: [] };
const client = new Client(
  { name: "interop-e2e", version: "1.0.0" },
  { capabilities: { elicitation: { form: {} } } },
);
client.setRequestHandler(ElicitRequestSchema, async (request) => {
  report.forms.push({ message: request.params.message, schema: request.params.requestedSchema });
  return { action: "accept", content: fill(request.params.requestedSchema) };
});
await client.connect(new StreamableHTTPClientTransport(new URL(process.argv[2])));
report.protocolVersion = client.transport.protocolVersion;
report.capabilities = client.getServerCapabilities();

const texts = (result) => result.content.filter((b) => b.type === "text").map((b) => b.text);
const approval = await client.callTool({ name: "approval", arguments: { message: "deploy?" } });
report.approval = { texts: texts(approval), structured: approval.structuredContent };

// Continue a conversation with only what survives without `_meta`: structuredContent.
const first = await client.callTool({ name: "echo", arguments: { message: "one" } });
const threadId = first.structuredContent.thread_id;
const second = await client.callTool({
  name: "echo",
  arguments: { message: "two", thread_id: threadId },
});
report.continued = {
  threadId,
  firstTexts: texts(first),
  secondTexts: texts(second),
  secondThread: second.structuredContent.thread_id,
  messages: second.structuredContent.messages.length,
};
await client.close();
console.log(JSON.stringify(report));
