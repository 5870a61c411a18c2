import { describe, expect, it } from 'vitest';
import { categorize, rankComplaints, sentimentOfScore } from '../../src/core/feedback.js';
import {
  DEFAULT_QUESTIONS,
  netPromoterScore,
  parseAnswers,
  questionProblems,
  summarize,
} from '../../src/core/surveys.js';
import { canMove, isOverdue } from '../../src/core/tasks.js';

describe('survey answers', () => {
  it('accepts a complete form and reads scores as numbers', () => {
    const r = parseAnswers(DEFAULT_QUESTIONS, { overall: '4', nps: '0', issue: '价格', comment: ' 还行 ' });
    expect(r).toEqual({
      ok: true,
      answers: [
        { questionId: 'overall', kind: 'score', score: 4, value: null },
        { questionId: 'nps', kind: 'nps', score: 0, value: null },
        { questionId: 'issue', kind: 'choice', score: null, value: '价格' },
        { questionId: 'comment', kind: 'text', score: null, value: '还行' },
      ],
    });
  });
  it('names each problem: a missing required answer, a score out of range, an option not offered', () => {
    const r = parseAnswers(DEFAULT_QUESTIONS, { overall: '0', nps: '4.5', issue: '别的' });
    expect(r).toEqual({
      ok: false,
      problems: { overall: '请选择 1–5 之间的分数', nps: '请选择 0–10 之间的分数', issue: '请选择列出的选项之一' },
    });
    expect(parseAnswers(DEFAULT_QUESTIONS, {})).toMatchObject({ ok: false, problems: { overall: '请选择一项' } });
  });
  it('NPS is promoters minus detractors in percent', () => {
    expect(netPromoterScore([10, 9, 8, 7, 6, 0])).toBe(0);
    expect(netPromoterScore([10, 10, 9, 3])).toBe(50);
    expect(netPromoterScore([])).toBeNull();
  });
  it('summarises per question with an empty distribution slot for every score', () => {
    const [overall] = summarize(DEFAULT_QUESTIONS.slice(0, 1), [
      { questionId: 'overall', score: 5, value: null },
      { questionId: 'overall', score: 4, value: null },
    ]);
    expect(overall).toMatchObject({ answered: 2, average: 4.5, distribution: { 1: 0, 2: 0, 3: 0, 4: 1, 5: 1 } });
  });
  it('refuses surveys without questions, duplicate ids and choices without options', () => {
    expect(questionProblems([])).toEqual([
      { path: '', message: 'add at least one question', key: 'survey.noQuestions', params: {} },
    ]);
    expect(questionProblems(DEFAULT_QUESTIONS)).toEqual([]);
  });
});

describe('feedback categories', () => {
  it('guesses the complaint category from the words used', () => {
    expect(categorize('快递三天还没到')).toBe('logistics');
    expect(categorize('客服态度很差')).toBe('service');
    expect(categorize('比别家贵了20块')).toBe('price');
    expect(categorize('尺码偏小，颜色有色差')).toBe('product');
    expect(categorize('一般般')).toBe('other');
    expect(categorize(null)).toBe('other');
  });
  it('reads a 1–5 score as a sentiment', () => {
    expect([1, 2, 2.5, 3, 3.5, 4, 5].map(sentimentOfScore)).toEqual([
      'negative',
      'negative',
      'neutral',
      'neutral',
      'neutral',
      'positive',
      'positive',
    ]);
  });
  it('ranks categories by count, ties in the fixed order, unknown categories as other', () => {
    expect(
      rankComplaints([
        { category: 'price', count: 2 },
        { category: 'logistics', count: 2 },
        { category: 'weird', count: 1 },
        { category: 'service', count: 0 },
      ]),
    ).toEqual([
      { category: 'logistics', count: 2 },
      { category: 'price', count: 2 },
      { category: 'other', count: 1 },
    ]);
  });
});

describe('task status', () => {
  it('done and cancelled are final; overdue only while open', () => {
    expect(canMove('open', 'in_progress')).toBe(true);
    expect(canMove('in_progress', 'open')).toBe(true);
    expect(canMove('done', 'open')).toBe(false);
    expect(canMove('cancelled', 'done')).toBe(false);
    const now = new Date('2026-11-23T00:00:00Z');
    expect(isOverdue({ status: 'open', dueAt: '2026-11-22T00:00:00Z' }, now)).toBe(true);
    expect(isOverdue({ status: 'done', dueAt: '2026-11-22T00:00:00Z' }, now)).toBe(false);
  });
});
