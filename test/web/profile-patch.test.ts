import dayjs from 'dayjs';
import { expect, it } from 'vitest';
import { profilePatch, valuesOf } from '../../web/src/pages/customers/profile-patch.js';

const customer = {
  realName: '张**',
  phone: '138****1234',
  email: null,
  gender: 'female',
  birthday: '1995-03-15',
  marketingConsent: 'unknown',
};

it('sends only what was changed: masked values a role sees are never sent back', () => {
  const before = valuesOf(customer);
  expect(profilePatch(before, { ...before })).toEqual({});
  expect(profilePatch(before, { ...before, email: ' li@example.cn ', marketingConsent: 'granted' })).toEqual({
    email: 'li@example.cn',
    marketingConsent: 'granted',
  });
});

it('an emptied field is null; a date is the day picked', () => {
  const before = valuesOf(customer);
  expect(
    profilePatch(before, {
      ...before,
      realName: '  ',
      gender: undefined as never,
      birthday: dayjs('1996-07-01'),
    }),
  ).toEqual({ realName: null, gender: null, birthday: '1996-07-01' });
  expect(profilePatch(before, { ...before, birthday: null })).toEqual({ birthday: null });
});
