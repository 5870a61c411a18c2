import { reason, renderReason, type Reason, type ReasonKey, type ReasonParams } from './reasons.js';

/**
 * Satisfaction surveys (满意度问卷): a few questions — a 1–5 score, a 0–10 NPS, a choice, a free
 * text — checked when saved and when answered, and summed up per question. Pure: no I/O.
 */
export const QUESTION_KINDS = ['score', 'nps', 'choice', 'text'] as const;
export type QuestionKind = (typeof QUESTION_KINDS)[number];

export interface Question {
  id: string;
  kind: QuestionKind;
  label: string;
  /** The options of a choice question. */
  options?: string[];
  required: boolean;
}

export interface Answer {
  questionId: string;
  kind: QuestionKind;
  /** score 1–5, nps 0–10; null for choice and text. */
  score: number | null;
  /** The chosen option or the text. */
  value: string | null;
}

export const MAX_QUESTIONS = 10;
export const MAX_TEXT = 1000;

/** A problem as the English for logs and API clients and as a code the console shows in the reader's language. */
export type SurveyProblem = Reason & { path: string; message: string };

function problem(key: ReasonKey, params: ReasonParams = {}): SurveyProblem {
  const why = reason(key, params);
  return { ...why, path: '', message: renderReason(why, 'en') ?? key };
}

/** Problems with a survey's questions (empty when it can be saved). */
export function questionProblems(questions: readonly Question[]): SurveyProblem[] {
  const p: SurveyProblem[] = [];
  if (questions.length === 0) p.push(problem('survey.noQuestions'));
  if (questions.length > MAX_QUESTIONS) p.push(problem('survey.tooManyQuestions', { max: MAX_QUESTIONS }));
  const ids = new Set<string>();
  questions.forEach((q, i) => {
    const n = i + 1;
    if (!/^[a-z0-9_]{1,30}$/i.test(q.id)) p.push(problem('survey.questionId', { n, id: q.id }));
    if (ids.has(q.id)) p.push(problem('survey.questionIdTwice', { n, id: q.id }));
    ids.add(q.id);
    if (!q.label.trim()) p.push(problem('survey.questionLabel', { n }));
    if (q.kind === 'choice') {
      const opts = (q.options ?? []).map((o) => o.trim()).filter(Boolean);
      if (opts.length < 2 || opts.length > 10) p.push(problem('survey.choiceOptions', { n }));
      if (new Set(opts).size !== opts.length) p.push(problem('survey.optionTwice', { n }));
    } else if (q.options && q.options.length > 0) p.push(problem('survey.optionsNotChoice', { n }));
  });
  return p;
}

export type ParsedAnswers = { ok: true; answers: Answer[] } | { ok: false; problems: Record<string, string> };

const RANGE: Partial<Record<QuestionKind, [number, number]>> = { score: [1, 5], nps: [0, 10] };

/**
 * The answers of a submitted form (field name = question id, value as the browser sends it).
 * Problems are in Chinese: the person answering sees them next to the question.
 */
export function parseAnswers(questions: readonly Question[], form: Record<string, unknown>): ParsedAnswers {
  const answers: Answer[] = [];
  const problems: Record<string, string> = {};
  for (const q of questions) {
    const raw = form[q.id];
    const text = typeof raw === 'string' ? raw.trim() : '';
    if (text === '') {
      if (q.required) problems[q.id] = q.kind === 'text' ? '请填写这一项' : '请选择一项';
      continue;
    }
    const range = RANGE[q.kind];
    if (range) {
      const n = Number(text);
      if (!Number.isInteger(n) || n < range[0] || n > range[1]) {
        problems[q.id] = `请选择 ${range[0]}–${range[1]} 之间的分数`;
        continue;
      }
      answers.push({ questionId: q.id, kind: q.kind, score: n, value: null });
    } else if (q.kind === 'choice') {
      if (!(q.options ?? []).includes(text)) {
        problems[q.id] = '请选择列出的选项之一';
        continue;
      }
      answers.push({ questionId: q.id, kind: q.kind, score: null, value: text });
    } else {
      if (text.length > MAX_TEXT) {
        problems[q.id] = `最多 ${MAX_TEXT} 字`;
        continue;
      }
      answers.push({ questionId: q.id, kind: q.kind, score: null, value: text });
    }
  }
  return Object.keys(problems).length > 0 ? { ok: false, problems } : { ok: true, answers };
}

/** The mean of the 1–5 scores of one response (null when it has none). */
export function meanScore(answers: readonly Answer[]): number | null {
  const s = answers.filter((a) => a.kind === 'score' && a.score !== null).map((a) => a.score!);
  return s.length ? s.reduce((x, y) => x + y, 0) / s.length : null;
}

/** Net Promoter Score: % promoters (9–10) minus % detractors (0–6), rounded; null without answers. */
export function netPromoterScore(scores: readonly number[]): number | null {
  if (scores.length === 0) return null;
  const promoters = scores.filter((s) => s >= 9).length;
  const detractors = scores.filter((s) => s <= 6).length;
  return Math.round(((promoters - detractors) / scores.length) * 100);
}

export interface QuestionSummary {
  questionId: string;
  kind: QuestionKind;
  label: string;
  answered: number;
  /** score and nps: the mean, two decimals. */
  average: number | null;
  /** nps only. */
  nps: number | null;
  /** score 1..5 / nps 0..10 → count; choice option → count. */
  distribution: Record<string, number>;
  /** text: the latest few answers. */
  texts: string[];
}

/** Per question: how many answered, the mean, NPS, the distribution, the latest texts (answers newest first). */
export function summarize(
  questions: readonly Question[],
  answers: readonly { questionId: string; score: number | null; value: string | null }[],
  textLimit = 20,
): QuestionSummary[] {
  return questions.map((q) => {
    const mine = answers.filter((a) => a.questionId === q.id);
    const distribution: Record<string, number> = {};
    const range = RANGE[q.kind];
    if (range) for (let i = range[0]; i <= range[1]; i++) distribution[String(i)] = 0;
    if (q.kind === 'choice') for (const o of q.options ?? []) distribution[o] = 0;
    const scores: number[] = [];
    const texts: string[] = [];
    for (const a of mine) {
      if (range && a.score !== null) {
        scores.push(a.score);
        distribution[String(a.score)] = (distribution[String(a.score)] ?? 0) + 1;
      } else if (q.kind === 'choice' && a.value !== null) distribution[a.value] = (distribution[a.value] ?? 0) + 1;
      else if (q.kind === 'text' && a.value && texts.length < textLimit) texts.push(a.value);
    }
    const average = scores.length ? Math.round((scores.reduce((x, y) => x + y, 0) / scores.length) * 100) / 100 : null;
    return {
      questionId: q.id,
      kind: q.kind,
      label: q.label,
      answered: mine.length,
      average,
      nps: q.kind === 'nps' ? netPromoterScore(scores) : null,
      distribution,
      texts,
    };
  });
}

/** A ready-made survey a shop can start from. */
export const DEFAULT_QUESTIONS: Question[] = [
  { id: 'overall', kind: 'score', label: '您对这次购物整体满意吗？', required: true },
  { id: 'nps', kind: 'nps', label: '您有多大可能把我们推荐给朋友？', required: true },
  {
    id: 'issue',
    kind: 'choice',
    label: '哪方面最需要改进？',
    options: ['商品质量', '物流快递', '客服服务', '价格', '都很好'],
    required: false,
  },
  { id: 'comment', kind: 'text', label: '还有什么想对我们说的？', required: false },
];
