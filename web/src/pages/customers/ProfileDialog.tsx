import { Alert, App, DatePicker, Form, Input, Modal, Radio, Select } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type Answer, api } from '../../api';
import { errorText } from '../../errors';
import { profilePatch, type Values, valuesOf } from './profile-patch';

type Customer = Answer<'/customers/{id}'>;

/**
 * 编辑资料: a customer's name, phone, e-mail, gender, birthday and marketing consent (PIPL: a change of consent is
 * recorded with who made it). Marketplace exports often lack an e-mail or mask the phone; the seller fills them in
 * here after a chat or a call — the API could, the console could not.
 */
export function ProfileDialog({
  customer,
  onClose,
  onSaved,
}: {
  customer: Customer;
  onClose: () => void;
  onSaved: () => void;
}) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form] = Form.useForm<Values>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const initial = valuesOf(customer);
  const save = async () => {
    const v = await form.validateFields();
    const body = profilePatch(initial, { ...initial, ...v });
    if (Object.keys(body).length === 0) return onClose();
    setBusy(true);
    setError(null);
    try {
      await api.patch('/customers/{id}', body, { params: { id: customer.id } });
      void message.success(t('common.saved'));
      onSaved();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal
      open
      title={t('profile.title')}
      okText={t('common.save')}
      cancelText={t('common.cancel')}
      onOk={() => void save().catch(() => {})}
      onCancel={onClose}
      confirmLoading={busy}
      okButtonProps={{ 'data-testid': 'profile-save' }}
    >
      {error && (
        <Alert type="error" showIcon message={error} style={{ marginBottom: 12 }} data-testid="profile-error" />
      )}
      <Form form={form} layout="vertical" initialValues={initial} data-testid="profile-form">
        <Form.Item name="realName" label={t('customers.realName')}>
          <Input maxLength={40} />
        </Form.Item>
        <Form.Item name="phone" label={t('customers.phone')} extra={t('profile.phoneHint')}>
          <Input maxLength={20} />
        </Form.Item>
        <Form.Item
          name="email"
          label={t('customerDetail.email')}
          rules={[{ type: 'email', message: t('profile.badEmail') }]}
        >
          <Input maxLength={200} />
        </Form.Item>
        <Form.Item name="gender" label={t('customerDetail.gender')}>
          <Select
            allowClear
            options={(['female', 'male'] as const).map((g) => ({ value: g, label: t(`gender.${g}`) }))}
          />
        </Form.Item>
        <Form.Item name="birthday" label={t('customerDetail.birthday')}>
          <DatePicker style={{ width: '100%' }} />
        </Form.Item>
        <Form.Item name="marketingConsent" label={t('profile.consent')} extra={t('profile.consentHint')}>
          <Radio.Group
            options={(['granted', 'denied', 'unknown'] as const).map((k) => ({
              value: k,
              label: t(`consentLong.${k}`),
            }))}
          />
        </Form.Item>
      </Form>
    </Modal>
  );
}
