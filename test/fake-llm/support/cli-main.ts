// A `litellm-otel`-like program with only the fake-llm command, so the CLI test does not depend on
// src/cli/main.ts (written elsewhere). Run: node --import tsx test/fake-llm/support/cli-main.ts fake-llm ...
import { Command } from 'commander';
import { registerFakeLlmCommand } from '../../../src/cli/fake-llm.js';

const program = new Command('litellm-otel');
registerFakeLlmCommand(program);
await program.parseAsync(process.argv);
