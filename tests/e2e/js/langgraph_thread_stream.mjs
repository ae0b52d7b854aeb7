// `client.threads.stream(...)` of @langchain/langgraph-sdk (the thread-centric v2 protocol)
// against interop: prints one JSON report for tests/e2e/test_js_clients.py to check.
// Usage: node langgraph_thread_stream.mjs <server url>
import { Client } from "@langchain/langgraph-sdk";

const client = new Client({ apiUrl: process.argv[2] });
const plain = (messages) =>
  messages.map((m) => ({ type: m.type ?? m.getType?.() ?? m._getType?.(), content: m.content }));
const report = {};

// A run: its streamed messages and its final values.
const echo = client.threads.stream({ assistantId: "echo" });
const streamed = [];
const reading = (async () => {
  for await (const message of echo.messages) streamed.push(await message.text);
})();
await echo.run.start({ input: { messages: [{ role: "user", content: "hello" }] } });
const first = await echo.output;
await Promise.race([reading, new Promise((resolve) => setTimeout(resolve, 2000))]);
report.echo = { threadId: echo.threadId, messages: plain(first.messages), streamed };
await echo.close();

// The same thread again, from a new handle.
const again = client.threads.stream(echo.threadId, { assistantId: "echo" });
await again.run.start({ input: { messages: [{ role: "user", content: "again" }] } });
report.again = { messages: plain((await again.output).messages) };
await again.close();

// A human in the loop: the interrupt, then the answer in the shape its schema asks for.
const approval = client.threads.stream({ assistantId: "approval" });
await approval.run.start({ input: { messages: [{ role: "user", content: "ship it" }] } });
await approval.output;
report.interrupted = approval.interrupted;
report.interrupts = approval.interrupts.map((i) => ({ id: i.interruptId, payload: i.payload }));
const [waiting] = approval.interrupts;
await approval.input.respond({ interrupt_id: waiting.interruptId, response: { approved: true } });
await approval.close();
const resumed = client.threads.stream(approval.threadId, { assistantId: "approval" });
report.resumed = { messages: plain((await resumed.output).messages), interrupted: resumed.interrupted };
await resumed.close();

// A command the server does not know is a protocol error, not an HTTP one.
try {
  const bad = client.threads.stream(approval.threadId, { assistantId: "approval" });
  await bad.state.listCheckpoints({});
  report.unknownCommand = "accepted";
} catch (error) {
  report.unknownCommand = error.code ?? String(error);
}

console.log(JSON.stringify(report));
