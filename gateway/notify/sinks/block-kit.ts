/**
 * The part of Slack's Block Kit Interlock sends, with Slack's published limits: a message over
 * them is rejected by Slack (invalid_blocks), so every message is checked before it is sent.
 */
import { z } from 'zod';

const plain = (max: number) =>
  z.strictObject({
    type: z.literal('plain_text'),
    text: z.string().min(1).max(max),
    emoji: z.boolean().optional(),
  });
const mrkdwn = (max: number) =>
  z.strictObject({ type: z.literal('mrkdwn'), text: z.string().min(1).max(max) });
const blockId = z.string().max(255).optional();

const HeaderBlock = z.strictObject({
  type: z.literal('header'),
  text: plain(150),
  block_id: blockId,
});
const SectionBlock = z
  .strictObject({
    type: z.literal('section'),
    text: mrkdwn(3000).optional(),
    fields: z.array(mrkdwn(2000)).min(1).max(10).optional(),
    block_id: blockId,
  })
  .refine((b) => b.text !== undefined || b.fields !== undefined, 'a section needs text or fields');
const ContextBlock = z.strictObject({
  type: z.literal('context'),
  elements: z.array(mrkdwn(2000)).min(1).max(10),
  block_id: blockId,
});
const Button = z.strictObject({
  type: z.literal('button'),
  text: plain(75),
  url: z.string().max(3000).optional(),
  action_id: z.string().max(255).optional(),
});
const ActionsBlock = z.strictObject({
  type: z.literal('actions'),
  elements: z.array(Button).min(1).max(25),
  block_id: blockId,
});
const DividerBlock = z.strictObject({ type: z.literal('divider'), block_id: blockId });

export const SlackMessageSchema = z.strictObject({
  /** The fallback shown in notifications and by clients without blocks. */
  text: z.string().min(1).max(3000),
  blocks: z
    .array(z.union([HeaderBlock, SectionBlock, ContextBlock, ActionsBlock, DividerBlock]))
    .min(1)
    .max(50),
});
export type SlackMessage = z.infer<typeof SlackMessageSchema>;
