/**
 * Typing tickets and indicators (spec §3.6, §3.7, §6.5): `getconfig` issues one ticket per bot and
 * user, and `sendtyping` must present it to start or cancel the indicator the phone page shows.
 *
 * @module
 */

import type { BotRecord } from "./bot_record.ts";
import type { RuleReporter } from "./rule_log.ts";
import type { ViolationRule } from "./violation_rules.ts";
import { asString, base64, randomBytes, type WireBody } from "./wire_json.ts";

/** Answers `getconfig` with the user's typing ticket (one per bot and user). */
export function answerConfig(
  rules: RuleReporter,
  bot: BotRecord,
  body: Record<string, unknown>,
): WireBody {
  const user = asString(body.ilink_user_id) ?? "";
  if (user === "") {
    rules.violate("getconfig", "missing_ilink_user_id", "ilink_user_id is required", bot.botId);
    return { ret: -1, errmsg: "invalid arguments" };
  }
  let ticket = bot.tickets.get(user);
  if (!ticket) {
    ticket = base64(randomBytes(18));
    bot.tickets.set(user, ticket);
  }
  return { ret: 0, errmsg: "", typing_ticket: ticket };
}

/**
 * Answers `sendtyping`: with the ticket `getconfig` issued, status 1 starts the user's indicator
 * and 2 cancels it. Only an answer with `ret: 0` changed anything.
 */
export function answerTyping(
  rules: RuleReporter,
  bot: BotRecord,
  body: Record<string, unknown>,
): WireBody {
  const violate = (rule: ViolationRule, detail: string) =>
    rules.violate("sendtyping", rule, detail, bot.botId);
  const user = asString(body.ilink_user_id) ?? "";
  const ticket = asString(body.typing_ticket) ?? "";
  if (ticket === "" || bot.tickets.get(user) !== ticket) {
    violate("bad_typing_ticket", "typing_ticket is not the ticket getconfig issued for this user");
    return { ret: -1, errmsg: "invalid typing_ticket" };
  }
  const status = body.status ?? 1;
  if (status !== 1 && status !== 2) {
    violate("bad_typing_status", "status must be 1 (typing) or 2 (cancel)");
    return { ret: -1, errmsg: "invalid arguments" };
  }
  if (status === 1) bot.typing.set(user, Date.now());
  else bot.typing.delete(user);
  return { ret: 0, errmsg: "" };
}
