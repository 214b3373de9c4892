// The framework packages as this package resolves them (its devDependencies), for the
// tests in tests/e2e/, which resolve modules from the repository root.
export { MockLanguageModelV4 } from 'ai/test';
export { generateText, tool, stepCountIs } from 'ai';
export { Usage } from '@openai/agents';
export { z } from 'zod';
