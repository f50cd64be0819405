/**
 * Realistic chat traffic for the benches: mixed Chinese and English text of 2–30 words, from a
 * few dozen users, deterministic for a seed. The sandbox adds what the real server adds: a fresh
 * 85-character context token on every message and 19-digit message ids above 2^53.
 *
 * @module
 */

const CJK = [
  "你好",
  "今天",
  "天气",
  "不错",
  "我们",
  "明天",
  "开会",
  "项目",
  "进度",
  "请问",
  "这个",
  "文件",
  "已经",
  "发送",
  "了吗",
  "谢谢",
  "没问题",
  "好的",
  "晚上",
  "吃饭",
  "客户",
  "报价",
  "合同",
  "下午",
  "三点",
  "收到",
  "辛苦了",
  "麻烦",
  "看一下",
  "图片",
];
const LATIN = [
  "hello",
  "meeting",
  "report",
  "deadline",
  "ok",
  "thanks",
  "please",
  "check",
  "the",
  "update",
  "tomorrow",
  "invoice",
  "draft",
  "review",
  "PDF",
  "v2",
  "ASAP",
  "Zoom",
  "link",
  "3pm",
];

/** A small deterministic generator (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One chat line of 2–30 words, about two thirds of them Chinese. */
export function chatText(random: () => number): string {
  const words = 2 + Math.floor(random() * 29);
  let text = "";
  for (let i = 0; i < words; i++) {
    const cjk = random() < 0.66;
    const list = cjk ? CJK : LATIN;
    const word = list[Math.floor(random() * list.length)]!;
    text += i === 0 || cjk ? word : ` ${word}`;
    if (!cjk && i + 1 < words) text += " ";
  }
  return text.trim();
}

/** The `from` user of message `i` among `users` users. */
export function userOf(i: number, users: number): string {
  return `u${String(i % users).padStart(3, "0")}_wx@im.wechat`;
}
