import { App, DatePicker, Form, Input, Modal, Select } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, type Body } from '../../api';
import { useAction, useApi, useDebounced } from '../../hooks';
import { PRIORITIES, TASK_TYPES } from './shared';
import { shopDay, shopWallToIso } from '../../format';

interface Values {
  customerId: string;
  type: (typeof TASK_TYPES)[number];
  title: string;
  dueAt: Dayjs;
  priority: (typeof PRIORITIES)[number];
  assigneeId?: string;
  orderId?: string;
  notes?: string;
}

/** Creates a task by hand: from the inbox (pick a customer) or from a customer's page (customer fixed). */
export function NewTaskModal({
  open,
  onClose,
  onCreated,
  customerId,
}: {
  open: boolean;
  onClose: () => void;
  onCreated: () => void;
  customerId?: string;
}) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form] = Form.useForm<Values>();
  const { busy, run } = useAction();
  const [search, setSearch] = useState('');
  const q = useDebounced(search, 300);
  const found = useApi(open && !customerId && q.trim() ? '/customers' : null, { query: { q, limit: 20 } });
  const chosen = Form.useWatch('customerId', form) ?? customerId;
  const customer = useApi(open && chosen ? '/customers/{id}' : null, { params: { id: chosen ?? '' } });
  const people = useApi(open ? '/tasks/assignees' : null);

  const submit = () =>
    run(async () => {
      const v = await form.validateFields();
      const body: Body<'/tasks', 'post'> = {
        customerId: customerId ?? v.customerId,
        type: v.type,
        title: v.title,
        // The picked time is the shop's wall clock (format.ts), not the browser's.
        dueAt: shopWallToIso(v.dueAt.format('YYYY-MM-DD HH:mm')),
        priority: v.priority,
        ...(v.assigneeId ? { assigneeId: v.assigneeId } : {}),
        ...(v.orderId ? { orderId: v.orderId } : {}),
        ...(v.notes ? { notes: v.notes } : {}),
      };
      await api.post('/tasks', body);
      void message.success(t('tasks.created'));
      form.resetFields();
      onCreated();
      onClose();
    });

  return (
    <Modal
      open={open}
      title={t('tasks.newTask')}
      okText={t('tasks.create')}
      onOk={() => void submit()}
      confirmLoading={busy}
      onCancel={onClose}
      destroyOnHidden
    >
      <Form<Values>
        form={form}
        layout="vertical"
        preserve={false}
        initialValues={{
          type: 'revisit',
          priority: 'normal',
          // Tomorrow 10:00 in the shop's time zone.
          dueAt: dayjs(`${shopDay(new Date(Date.now() + 86_400_000).toISOString())}T10:00`),
        }}
        data-testid="new-task-form"
      >
        {!customerId && (
          <Form.Item
            name="customerId"
            label={t('tasks.customer')}
            rules={[{ required: true, message: t('common.required') }]}
          >
            <Select
              showSearch
              filterOption={false}
              onSearch={setSearch}
              placeholder={t('customers.searchPlaceholder')}
              // Nick, name and phone, as the campaign wizard's picker: typed digits found customers by phone.
              options={(found.data?.items ?? []).map((c) => ({
                value: c.id,
                label: [c.name, c.realName, c.phone].filter(Boolean).join(' · '),
              }))}
              data-testid="task-customer"
            />
          </Form.Item>
        )}
        <Form.Item name="type" label={t('tasks.type')} rules={[{ required: true, message: t('tasks.typeRequired') }]}>
          <Select options={TASK_TYPES.map((s) => ({ value: s, label: t(`tasks.types.${s}`) }))} />
        </Form.Item>
        <Form.Item
          name="title"
          label={t('tasks.title')}
          rules={[{ required: true, message: t('tasks.titleRequired') }]}
        >
          <Input maxLength={200} data-testid="task-title" />
        </Form.Item>
        <Form.Item
          name="dueAt"
          label={t('tasks.dueAt')}
          rules={[
            { required: true, message: t('tasks.dueRequired') },
            // Today picked kept the default 10:00: a task made in the evening was overdue when made.
            {
              validator: (_, v: Dayjs | undefined) =>
                !v || Date.parse(shopWallToIso(v.format('YYYY-MM-DD HH:mm'))) > Date.now()
                  ? Promise.resolve()
                  : Promise.reject(new Error(t('tasks.duePast'))),
            },
          ]}
        >
          <DatePicker
            showTime={{ format: 'HH:mm' }}
            format="YYYY-MM-DD HH:mm"
            style={{ width: '100%' }}
            disabledDate={(d) => d.isBefore(dayjs(), 'day')}
            data-testid="task-due"
          />
        </Form.Item>
        <Form.Item name="priority" label={t('tasks.priority')}>
          <Select options={PRIORITIES.map((s) => ({ value: s, label: t(`tasks.priorities.${s}`) }))} />
        </Form.Item>
        <Form.Item name="assigneeId" label={t('tasks.assignee')}>
          <Select
            allowClear
            placeholder={t('tasks.unassigned')}
            options={(people.data?.items ?? []).map((u) => ({
              value: u.id,
              label: `${u.name} · ${t(`roles.${u.role}`, u.role)}`,
            }))}
          />
        </Form.Item>
        <Form.Item name="orderId" label={t('tasks.order')}>
          <Select
            allowClear
            placeholder={t('tasks.noOrder')}
            options={(customer.data?.orders ?? []).map((o) => ({
              value: o.id,
              label: `${o.externalId} ${o.title ?? ''}`.trim(),
            }))}
          />
        </Form.Item>
        <Form.Item name="notes" label={t('tasks.notes')}>
          <Input.TextArea rows={3} maxLength={4000} />
        </Form.Item>
      </Form>
    </Modal>
  );
}
