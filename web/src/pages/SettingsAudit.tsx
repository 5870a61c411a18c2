import { Alert, Button, DatePicker, Input, Select, Space, Table, Tag, Typography } from 'antd';
import type { Dayjs } from 'dayjs';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type Answer, api, type Query } from '../api';
import { ErrorBox } from '../components/Status';
import { dateTime } from '../format';
import { useDebounced } from '../hooks';
import { auditDetailsText } from './audit-details';

type Entry = Answer<'/audit'>['items'][number];
type Filters = Query<'/audit'>;

const FAMILIES = [
  'auth',
  'export',
  'pii',
  'bulk',
  'customer',
  'points',
  'coupon',
  'settings',
  'token',
  'user',
  'campaign',
  'automation',
] as const;

/** 设置 → 审计日志: the append-only log, newest first, filtered by user, kind of action, dates and text. */
export function AuditLog() {
  const { t, i18n } = useTranslation();
  const [actor, setActor] = useState('');
  const [family, setFamily] = useState<string | undefined>();
  const [range, setRange] = useState<[Dayjs | null, Dayjs | null] | null>(null);
  const [text, setText] = useState('');
  const debouncedActor = useDebounced(actor.trim(), 300);
  const debouncedText = useDebounced(text.trim(), 300);
  const [items, setItems] = useState<Entry[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<Error | null>(null);

  const filters: Filters = {
    ...(debouncedActor ? { actor: debouncedActor } : {}),
    ...(family ? { action: `${family}.` } : {}),
    ...(range?.[0] ? { from: range[0].startOf('day').toISOString() } : {}),
    ...(range?.[1] ? { to: range[1].add(1, 'day').startOf('day').toISOString() } : {}),
    ...(debouncedText ? { q: debouncedText } : {}),
  };
  const key = JSON.stringify(filters);

  const load = async (cursor: string | null) => {
    setLoading(true);
    setError(null);
    try {
      const page = await api.get('/audit', { query: { ...filters, limit: 50, ...(cursor ? { cursor } : {}) } });
      setItems((old) => (cursor ? [...old, ...page.items] : page.items));
      setNext(page.nextCursor);
    } catch (e) {
      setError(e as Error);
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => {
    void load(null);
  }, [key]);

  const actionLabel = (action: string) =>
    i18n.exists(`audit.actions.${action}`) ? t(`audit.actions.${action}`) : action;

  // "customer 01J…": the kind in the reader's language, then the row's name now (its id when it has none or is gone).
  const targetLabel = (target: string | null, name: string | null) => {
    if (!target) return '—';
    const [kind, ...rest] = target.split(' ');
    const what = name ?? rest.join(' ');
    return rest.length > 0 && i18n.exists(`audit.targets.${kind}`) ? `${t(`audit.targets.${kind}`)} ${what}` : target;
  };
  const lang = i18n.language === 'en' ? 'en' : 'zh-CN';

  return (
    <Space direction="vertical" style={{ width: '100%' }} size="middle">
      <Alert type="info" showIcon message={t('audit.hint')} />
      <Space wrap>
        <Input
          allowClear
          style={{ width: 160 }}
          placeholder={t('audit.actorFilter')}
          aria-label={t('audit.actorFilter')}
          value={actor}
          onChange={(e) => setActor(e.target.value)}
        />
        <Select
          allowClear
          style={{ width: 180 }}
          placeholder={t('audit.actionFilter')}
          aria-label={t('audit.actionFilter')}
          value={family}
          onChange={(v?: string) => setFamily(v)}
          options={FAMILIES.map((f) => ({ value: f, label: t(`audit.families.${f}`) }))}
        />
        <DatePicker.RangePicker
          value={range}
          onChange={(v) => setRange(v)}
          allowEmpty={[true, true]}
          placeholder={[t('audit.fromDate'), t('audit.toDate')]}
        />
        <Input.Search
          allowClear
          style={{ width: 260 }}
          placeholder={t('audit.search')}
          value={text}
          onChange={(e) => setText(e.target.value)}
        />
      </Space>
      {error && <ErrorBox error={error} />}
      <Table<Entry>
        rowKey="id"
        size="small"
        loading={loading}
        dataSource={items}
        pagination={false}
        locale={{ emptyText: t('audit.empty') }}
        scroll={{ x: 900 }}
        columns={[
          { title: t('audit.at'), dataIndex: 'at', width: 150, render: (v: string) => dateTime(v) },
          {
            title: t('audit.actor'),
            dataIndex: 'actor',
            width: 140,
            render: (v: string | null, e) => (
              <Space size={4}>
                <span>{v ?? t('audit.system')}</span>
                {e.via === 'token' && <Tag>{t('audit.via_token')}</Tag>}
              </Space>
            ),
          },
          {
            title: t('audit.action'),
            dataIndex: 'action',
            width: 180,
            render: (v: string) => (
              <Tag color={v === 'auth.login_failed' ? 'red' : v.startsWith('pii.') ? 'orange' : undefined}>
                {actionLabel(v)}
              </Tag>
            ),
          },
          {
            title: t('audit.target'),
            dataIndex: 'target',
            width: 200,
            // The tooltip names the record's id (the label shows its name): "ID 01M8…", not the stored "user 01M8…".
            render: (v: string | null, e) => (
              <span title={v?.includes(' ') ? `ID ${v.slice(v.indexOf(' ') + 1)}` : (v ?? undefined)}>
                {targetLabel(v, e.targetName)}
              </span>
            ),
          },
          { title: t('audit.ip'), dataIndex: 'ip', width: 120, render: (v: string | null) => v ?? '—' },
          {
            title: t('audit.details'),
            dataIndex: 'details',
            render: (v: Entry['details']) => (
              <Typography.Text style={{ fontSize: 12, wordBreak: 'break-all' }}>
                {auditDetailsText(v, lang, { yes: t('common.yes'), no: t('common.no') }) || '—'}
              </Typography.Text>
            ),
          },
        ]}
      />
      {next && (
        <Button onClick={() => void load(next)} loading={loading}>
          {t('audit.more')}
        </Button>
      )}
    </Space>
  );
}
