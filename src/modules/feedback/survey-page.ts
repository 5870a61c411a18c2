import type { Question } from '../../core/surveys.js';
import type { SurveyDefinition } from './surveys.js';

/**
 * The public survey page: plain server-rendered HTML that works on a phone (390 px wide) without
 * JavaScript (the CSP allows none inline anyway). Score and NPS options are radio buttons drawn
 * as tappable boxes.
 */
const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const STYLE = `
*{box-sizing:border-box}
body{margin:0;background:#f5f6f8;color:#1f1f1f;
font:16px/1.5 -apple-system,BlinkMacSystemFont,"PingFang SC","Microsoft YaHei",sans-serif}
main{max-width:560px;margin:0 auto;padding:16px}
h1{font-size:20px;margin:8px 0 4px}
.intro{color:#595959;margin:0 0 12px}
.q{background:#fff;border-radius:12px;padding:14px;margin:12px 0;border:1px solid #eee;min-width:0}
.q legend{float:left;width:100%;padding:0}
.q legend+*{clear:both}
.q.bad{border-color:#ff4d4f}
.label{font-weight:600;margin:0 0 10px}
.req{color:#ff4d4f;margin-left:2px}
.err{color:#ff4d4f;font-size:14px;margin:8px 0 0}
.scale{display:grid;gap:6px}
.s5{grid-template-columns:repeat(5,1fr)}
.s11{grid-template-columns:repeat(6,1fr)}
.ends{display:flex;justify-content:space-between;color:#8c8c8c;font-size:13px;margin-top:6px}
.opt{position:relative;display:block}
.opt input{position:absolute;opacity:0;width:1px;height:1px}
.opt span{display:flex;align-items:center;justify-content:center;min-height:44px;border:1px solid #d9d9d9;
border-radius:8px;background:#fff;padding:0 8px;text-align:center}
.opt input:checked+span{background:#1677ff;border-color:#1677ff;color:#fff}
.opt input:focus-visible+span{outline:2px solid #1677ff;outline-offset:2px}
.choices{display:grid;gap:8px}
.choices .opt span{justify-content:flex-start}
textarea{width:100%;min-height:96px;border:1px solid #d9d9d9;border-radius:8px;padding:10px;font:inherit;
resize:vertical}
button{width:100%;min-height:48px;border:0;border-radius:24px;background:#1677ff;color:#fff;font-size:17px;
margin:8px 0 24px}
.done{background:#fff;border-radius:12px;padding:32px 16px;text-align:center;margin-top:40px}
.done .icon{font-size:40px}
`;

function page(title: string, body: string): string {
  return (
    '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width,initial-scale=1">' +
    `<title>${esc(title)}</title><style>${STYLE}</style></head><body><main>${body}</main></body></html>`
  );
}

function radios(q: Question, values: string[], current: string | undefined, cls: string): string {
  return values
    .map(
      (v) =>
        `<label class="opt"><input type="radio" name="${esc(q.id)}" value="${esc(v)}"` +
        `${current === v ? ' checked' : ''}${q.required ? ' required' : ''}><span>${esc(v)}</span></label>`,
    )
    .join('')
    .replace(/^/, `<div class="${cls}">`)
    .concat('</div>');
}

function questionHtml(q: Question, current: string | undefined, problem: string | undefined): string {
  let input = '';
  const ends = '<div class="ends"><span>很不满意</span><span>非常满意</span></div>';
  if (q.kind === 'score') input = `${radios(q, ['1', '2', '3', '4', '5'], current, 'scale s5')}${ends}`;
  else if (q.kind === 'nps')
    input = `${radios(
      q,
      Array.from({ length: 11 }, (_, i) => String(i)),
      current,
      'scale s11',
    )}<div class="ends"><span>0 完全不可能</span><span>10 非常可能</span></div>`;
  else if (q.kind === 'choice') input = radios(q, q.options ?? [], current, 'choices');
  else
    input = `<textarea name="${esc(q.id)}" maxlength="1000"${q.required ? ' required' : ''} placeholder="请输入">${esc(
      current ?? '',
    )}</textarea>`;
  return `<fieldset class="q${problem ? ' bad' : ''}"><legend class="label">${esc(q.label)}${
    q.required ? '<span class="req">*</span>' : ''
  }</legend>${input}${problem ? `<p class="err">${esc(problem)}</p>` : ''}</fieldset>`;
}

/** The form; after a refused submit, with the problems next to their questions and the answers kept. */
export function surveyForm(
  s: SurveyDefinition,
  values: Record<string, string> = {},
  problems: Record<string, string> = {},
): string {
  const intro = s.intro ? `<p class="intro">${esc(s.intro)}</p>` : '';
  const note = Object.keys(problems).length ? '<p class="err">还有题目没有答好，请看标红的地方。</p>' : '';
  return page(
    s.title,
    `<h1>${esc(s.title)}</h1>${intro}${note}<form method="post">${s.questions
      .map((q) => questionHtml(q, values[q.id], problems[q.id]))
      .join('')}<button type="submit">提交</button></form>`,
  );
}

export function surveyThanks(s: SurveyDefinition): string {
  return page(
    s.title,
    `<div class="done"><div class="icon">✓</div><h1>提交成功</h1><p>${esc(s.thanks ?? '感谢您的反馈，我们会做得更好！')}</p></div>`,
  );
}

export function surveyAlreadyAnswered(s: SurveyDefinition): string {
  return page(
    s.title,
    '<div class="done"><div class="icon">✓</div><h1>您已提交过这份问卷</h1><p>每位顾客只需填写一次，感谢您的参与！</p></div>',
  );
}

export function surveyUnknown(): string {
  return page(
    '问卷链接无效',
    '<div class="done"><h1>问卷链接无效</h1><p>链接不存在或已失效，请确认链接是否完整。</p></div>',
  );
}
