import { describe, expect, it } from 'vitest';
import { customerPinyin, MAX_PINYIN_KEYS, nameKeys, nameMatchesPinyin } from '../../src/core/pinyin-keys.js';
import { pinyinQuery } from '../../src/core/pinyin-query.js';

describe('pinyin keys of a name', () => {
  it('are the full pinyin and the initials, toneless, lower case, without spaces', () => {
    expect(nameKeys('张佳怡')).toEqual(['zhangjiayi', 'zjy']);
    expect(nameKeys('欧阳娜娜')).toEqual(['ouyangnana', 'oynn']);
  });

  it('add the surname reading when the name starts with a polyphonic surname', () => {
    expect(nameKeys('曾小贤')).toEqual(['cengxiaoxian', 'cxx', 'zengxiaoxian', 'zxx']);
    expect(nameKeys('单田芳')).toContain('shantianfang');
    expect(nameKeys('解晓东')).toContain('xiexiaodong');
    // Only at the start: a 曾 inside a nick keeps its usual reading alone.
    expect(nameKeys('快乐的小曾')).toEqual(['kuailedexiaoceng', 'kldxc']);
  });

  it('write ü as v, as an IME is typed', () => {
    expect(nameKeys('吕布')).toEqual(['lvbu', 'lb']);
    expect(nameKeys('绿绿')).toEqual(['lvlv', 'll']);
  });

  it('keep letters and digits around the characters, full-width folded, other signs dropped', () => {
    expect(nameKeys('小佳怡2019')).toEqual(['xiaojiayi2019', 'xjy2019']);
    expect(nameKeys('Amy张')).toEqual(['amyzhang', 'amyz']);
    expect(nameKeys('tb_123张三')).toEqual(['tb123zhangsan', 'tb123zs']);
    expect(nameKeys('ＡＢ·张三')).toEqual(['abzhangsan', 'abzs']);
  });

  it('are none for a name without a Chinese character', () => {
    expect(nameKeys('plainbuyer')).toEqual([]);
    expect(nameKeys('138****1234')).toEqual([]);
    expect(nameKeys('')).toEqual([]);
  });

  it('stay bounded for a very long name: its first 16 characters', () => {
    const keys = nameKeys('张'.repeat(200));
    expect(keys).toEqual(['zhang'.repeat(16), 'z'.repeat(16)]);
  });
});

describe('a customer’s stored keys', () => {
  it('join the keys of the display name, the real name and the nicks, each once', () => {
    expect(customerPinyin('小佳怡2019', '张佳怡', ['小佳怡2019'])).toBe('xiaojiayi2019 xjy2019 zhangjiayi zjy');
    expect(customerPinyin('tb_abc', null, [])).toBeNull();
    expect(customerPinyin('王五', '王五')).toBe('wangwu ww');
  });

  it('do not depend on the order the nicks come in', () => {
    expect(customerPinyin('a', null, ['李白', '杜甫'])).toBe(customerPinyin('a', null, ['杜甫', '李白']));
  });

  it('are at most MAX_PINYIN_KEYS', () => {
    const nicks = Array.from({ length: 40 }, (_, i) => `买家${'一二三四五六七八九十'[i % 10]}${i}`);
    expect(customerPinyin('张三', '李四', nicks)!.split(' ')).toHaveLength(MAX_PINYIN_KEYS);
  });
});

describe('a search text as pinyin', () => {
  it('is lower case, without spaces, apostrophes and dashes', () => {
    expect(pinyinQuery('ZJY')).toBe('zjy');
    expect(pinyinQuery('Zhang Jia')).toBe('zhangjia');
    expect(pinyinQuery("xi'an")).toBe('xian');
    expect(pinyinQuery('ｚｈａｎｇ')).toBe('zhang');
    expect(pinyinQuery('xjy2019')).toBe('xjy2019');
  });

  it('is none for one letter, digits, Chinese or query syntax', () => {
    for (const q of ['z', '1388', '张三', 'zj*', 'zj:*', '"zj"', 'zj|zh', 'a&b', 'x'.repeat(97), ''])
      expect(pinyinQuery(q), q).toBeNull();
  });

  it('matches a name whose keys it starts', () => {
    expect(nameMatchesPinyin('张佳怡', 'zj')).toBe(true);
    expect(nameMatchesPinyin('张佳怡', 'zhangjia')).toBe(true);
    expect(nameMatchesPinyin('张佳怡', 'jiayi')).toBe(false);
    expect(nameMatchesPinyin(null, 'zj')).toBe(false);
  });
});
