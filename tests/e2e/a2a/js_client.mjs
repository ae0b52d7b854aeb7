// The @a2a-js/sdk client with its defaults: `node js_client.mjs BASE_URL` prints one JSON object.
// `createFromUrl` resolves `.well-known/agent-card.json` relative to the URL it is given, so the
// agent URL without a trailing slash reaches `/a2a/.well-known/agent-card.json` (the default
// agent's card) and with one the agent's own card.
import { ClientFactory } from "@a2a-js/sdk/client";

const base = process.argv[2];
const text = (value) => ({ content: { $case: "text", value }, filename: "", mediaType: "" });
const message = (value, fields = {}) => ({
  messageId: crypto.randomUUID(),
  role: 1, // ROLE_USER
  parts: [text(value)],
  ...fields,
});

const seen = {};
for (const [name, url] of [["bare", `${base}/a2a/echo`], ["slash", `${base}/a2a/echo/`]]) {
  const client = await new ClientFactory().createFromUrl(url);
  const task = await client.sendMessage({ message: message("hi from js") });
  seen[name] = { state: task.status?.state, text: task.artifacts?.[0]?.parts?.[0]?.content?.value };
}
const client = await new ClientFactory().createFromUrl(`${base}/a2a/echo/`);
const kinds = [];
let contextId;
for await (const event of client.sendMessageStream({ message: message("a b", { contextId: "js-context" }) })) {
  kinds.push(event.payload?.$case);
  contextId = event.payload?.value?.contextId ?? contextId;
}
seen.stream = { kinds, contextId };
console.log(JSON.stringify(seen));
