import {
  DownloadOutlined,
  SearchOutlined,
  SettingOutlined,
  TagOutlined,
  UsergroupAddOutlined,
} from '@ant-design/icons';
import {
  App,
  AutoComplete,
  Button,
  Card,
  Checkbox,
  Dropdown,
  Form,
  Input,
  InputNumber,
  Modal,
  Select,
  Space,
  Table,
  Typography,
  type TableColumnsType,
} from 'antd';
import { useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { type Answer, api, type Query } from '../../api';
import { ConsentTag, LifecycleTag, RfmTag } from '../../components/labels';
import { EmptyState, ErrorBox } from '../../components/Status';
import { count, date, money } from '../../format';
import { useAction, useApi, useStored } from '../../hooks';
import { PageHeader } from '../../layout/Shell';
import { downloadCsv } from '../../download';
import { errorText } from '../../errors';

type CustomerSummary = Answer<'/customers'>['items'][number];
type Filters = Query<'/customers'>;

const ALL_COLUMNS = [
  'phone',
  'store',
  'region',
  'tier',
  'paidOrders',
  'totalSpent',
  'aov',
  'lastOrder',
  'lastPaid',
  'rfm',
  'lifecycle',
  'consent',
  'category',
] as const;
type ColumnKey = (typeof ALL_COLUMNS)[number];
/**
 * The column each sort orders by, shown whatever columns are chosen: sorted by 最近下单 (any order, unpaid too), the
 * list looked unsorted beside a 最近购买 (paid) column alone.
 */
const SORT_COLUMN: Record<string, ColumnKey | undefined> = {
  last_order: 'lastOrder',
  spent: 'totalSpent',
  orders: 'paidOrders',
};
const DEFAULT_COLUMNS: ColumnKey[] = [
  'phone',
  'store',
  'region',
  'tier',
  'paidOrders',
  'totalSpent',
  'lastPaid',
  'rfm',
  'lifecycle',
];

export default function CustomerList() {
  const { t, i18n } = useTranslation();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const [cursors, setCursors] = useState<string[]>([]);
  const [selected, setSelected] = useState<CustomerSummary[]>([]);
  const [columns, setColumns] = useStored<ColumnKey[]>('huike.customers.columns', DEFAULT_COLUMNS);
  const [bulk, setBulk] = useState<'tag' | 'group' | null>(null);
  const stores = useApi('/stores');
  const tiers = useApi('/tiers');
  const filters: Filters = {
    q: params.get('q') ?? undefined,
    storeId: params.get('storeId') ?? undefined,
    province: params.get('province') ?? undefined,
    consent: (params.get('consent') ?? undefined) as Filters['consent'],
    minPaidOrders: params.has('minPaidOrders') ? Number(params.get('minPaidOrders')) : undefined,
    sort: (params.get('sort') ?? 'last_order') as Filters['sort'],
  };
  const cursor = cursors[cursors.length - 1];
  // A new page starts at its first row: the buttons are below the list, and the view stayed at the bottom.
  const listTop = useRef<HTMLDivElement>(null);
  const turn = (to: string[]) => {
    setCursors(to);
    listTop.current?.scrollIntoView({ block: 'start' });
  };
  const page = useApi('/customers', { query: { ...filters, cursor, limit: 20 } });
  useEffect(() => setCursors([]), [params]);
  // The server counts with the first page only; later pages keep that total.
  const [total, setTotal] = useState<number | null>(null);
  useEffect(() => {
    if (page.data && page.data.total !== null) setTotal(page.data.total);
  }, [page.data]);
  const filtering = Boolean(
    filters.q || filters.storeId || filters.province || filters.consent || filters.minPaidOrders,
  );
  const clearFilters = () => {
    const next = new URLSearchParams();
    if (params.get('sort')) next.set('sort', params.get('sort')!);
    setParams(next);
  };

  const setFilter = (k: string, v: string | number | null | undefined) => {
    const next = new URLSearchParams(params);
    if (v === undefined || v === null || v === '') next.delete(k);
    else next.set(k, String(v));
    setParams(next);
  };
  const tierName = (key: string | null, paid: number) => {
    const list = tiers.data?.tiers ?? [];
    const hit = list.find((x) => x.key === key) ?? (paid > 0 ? list[0] : undefined);
    return hit?.name ?? '—';
  };

  const defs: Record<ColumnKey, TableColumnsType<CustomerSummary>[number]> = useMemo(
    () => ({
      phone: {
        title: t('customers.phone'),
        dataIndex: 'phone',
        width: 130,
        render: (v: string | null, r) =>
          v === null ? '—' : r.matched === 'phone' ? <PhoneMark phone={v} q={filters.q ?? ''} /> : v,
      },
      store: {
        title: t('customers.storeColumn'),
        render: (_: unknown, r) =>
          r.store ? (
            <span>
              {r.store.name}
              <Typography.Text type="secondary" style={{ marginLeft: 6, fontSize: 12 }}>
                {t(`platforms.${r.store.platform}`, { defaultValue: r.store.platform })}
              </Typography.Text>
            </span>
          ) : (
            '—'
          ),
      },
      region: {
        title: t('customers.region'),
        render: (_: unknown, r) => [r.province, r.city].filter(Boolean).join(' ') || '—',
      },
      tier: { title: t('customers.tier'), render: (_: unknown, r) => tierName(r.tier, r.stats.paidOrders) },
      paidOrders: {
        title: t('customers.paidOrders'),
        align: 'right',
        render: (_: unknown, r) => count(r.stats.paidOrders),
      },
      totalSpent: {
        title: t('customers.totalSpent'),
        align: 'right',
        render: (_: unknown, r) => money(r.stats.totalSpentFen, r.stats.currency),
      },
      aov: {
        title: t('customers.aov'),
        align: 'right',
        render: (_: unknown, r) => money(r.stats.aovFen, r.stats.currency),
      },
      lastOrder: { title: t('customers.lastOrder'), render: (_: unknown, r) => date(r.stats.lastOrderAt) },
      lastPaid: { title: t('customers.lastPaid'), render: (_: unknown, r) => date(r.stats.lastPaidAt) },
      rfm: { title: t('customers.rfm'), render: (_: unknown, r) => <RfmTag value={r.rfmClass} /> },
      lifecycle: { title: t('customers.lifecycle'), render: (_: unknown, r) => <LifecycleTag value={r.lifecycle} /> },
      consent: { title: t('customers.consent'), render: (_: unknown, r) => <ConsentTag value={r.marketingConsent} /> },
      category: { title: t('customers.category'), render: (_: unknown, r) => r.stats.favouriteCategory ?? '—' },
    }),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [t, tiers.data, filters.q],
  );
  const tableColumns: TableColumnsType<CustomerSummary> = [
    {
      title: t('customers.customer'),
      key: 'name',
      fixed: 'left',
      render: (_: unknown, r) => (
        <div data-matched={r.matched ?? undefined}>
          <Typography.Link>
            {r.matched === 'name' ? <Mark text={r.name} q={filters.q ?? ''} /> : r.name}
          </Typography.Link>
          {r.realName && (
            <div className="kpi-foot" style={{ marginTop: 0 }}>
              {r.matched === 'realName' ? <Mark text={r.realName} q={filters.q ?? ''} /> : r.realName}
            </div>
          )}
          {r.matched === 'email' && r.email && (
            <div className="kpi-foot" style={{ marginTop: 0 }}>
              <mark>{r.email}</mark>
            </div>
          )}
          {r.matched && (
            <Typography.Text type="secondary" style={{ fontSize: 12 }} data-testid="matched-field">
              {t(byPinyin(r, filters.q ?? '') ? 'customers.matchedByPinyin' : 'customers.matchedBy', {
                // A whole mobile number typed matches the phone, not only its last digits.
                field: t(
                  r.matched === 'phone' && (filters.q ?? '').replace(/\D/g, '').length >= 11
                    ? 'customers.matched.phoneWhole'
                    : `customers.matched.${r.matched}`,
                ),
              })}
            </Typography.Text>
          )}
        </div>
      ),
    },
    ...ALL_COLUMNS.filter((c) => columns.includes(c) || SORT_COLUMN[filters.sort ?? 'last_order'] === c).map((c) => ({
      key: c,
      ...defs[c],
    })),
  ];

  // The server builds the rows: buyer nick and id per platform and the stores, like a segment export.
  const exportSelected = async () => {
    try {
      const r = await api.post(
        '/customers/export',
        { ids: selected.map((c) => c.id) },
        { query: { lang: i18n.language === 'en' ? 'en' : 'zh-CN' } },
      );
      downloadCsv('customers.csv', [r.columns, ...r.rows.map((row) => row.map((v) => v ?? ''))]);
    } catch (e) {
      void message.error(errorText(e));
    }
  };

  return (
    <>
      <PageHeader title={t('menu.customers')} subtitle={t('customers.subtitle')} />
      <Card size="small" style={{ marginBottom: 16 }}>
        <Space wrap>
          <Input.Search
            key={filters.q ?? ''}
            allowClear
            placeholder={t('customers.searchPlaceholder')}
            defaultValue={filters.q}
            onSearch={(v) => setFilter('q', v.trim())}
            style={{ width: 330 }}
            enterButton={<SearchOutlined />}
            data-testid="customer-search"
          />
          <Select
            allowClear
            placeholder={t('customers.store')}
            style={{ width: 140 }}
            value={filters.storeId}
            onChange={(v) => setFilter('storeId', v)}
            options={(stores.data?.items ?? []).map((s) => ({ label: s.name, value: s.id }))}
          />
          <Input
            allowClear
            placeholder={t('customers.province')}
            style={{ width: 110 }}
            defaultValue={filters.province}
            onBlur={(e) => setFilter('province', e.target.value.trim())}
            onPressEnter={(e) => setFilter('province', (e.target as HTMLInputElement).value.trim())}
          />
          <Select
            allowClear
            placeholder={t('customers.consent')}
            style={{ width: 120 }}
            value={filters.consent}
            onChange={(v) => setFilter('consent', v)}
            options={['granted', 'denied', 'unknown'].map((v) => ({ value: v, label: t(`consent.${v}`) }))}
          />
          <InputNumber
            min={0}
            placeholder={t('customers.minPaidOrders')}
            style={{ width: 130 }}
            value={filters.minPaidOrders ? Number(filters.minPaidOrders) : null}
            onChange={(v) => setFilter('minPaidOrders', v)}
          />
          <Select
            style={{ width: 120 }}
            value={filters.sort}
            onChange={(v) => setFilter('sort', v)}
            options={['last_order', 'spent', 'orders', 'newest'].map((v) => ({
              value: v,
              label: t(`customers.sort.${v}`),
            }))}
          />
          <Dropdown
            trigger={['click']}
            dropdownRender={() => (
              <Card size="small" style={{ width: 200 }}>
                <Checkbox.Group
                  value={columns}
                  onChange={(v) => setColumns(v as ColumnKey[])}
                  style={{ display: 'flex', flexDirection: 'column', gap: 6 }}
                  options={ALL_COLUMNS.map((c) => ({ value: c, label: defs[c].title as string }))}
                />
              </Card>
            )}
          >
            <Button icon={<SettingOutlined />}>{t('customers.columns')}</Button>
          </Dropdown>
        </Space>
      </Card>
      {page.error && <ErrorBox error={page.error} onRetry={page.reload} />}
      <Card
        ref={listTop}
        size="small"
        title={
          total !== null && (
            <span data-testid="customer-total" data-total={total}>
              {t(filtering ? 'customers.totalMatched' : 'customers.total', { n: count(total) })}
            </span>
          )
        }
      >
        {selected.length > 0 && (
          <Space style={{ marginBottom: 12 }} data-testid="bulk-bar">
            <Typography.Text>{t('customers.selected', { n: selected.length })}</Typography.Text>
            <Button size="small" icon={<TagOutlined />} onClick={() => setBulk('tag')}>
              {t('customers.bulkTag')}
            </Button>
            <Button size="small" icon={<UsergroupAddOutlined />} onClick={() => setBulk('group')}>
              {t('customers.bulkGroup')}
            </Button>
            <Button size="small" icon={<DownloadOutlined />} onClick={() => void exportSelected()}>
              {t('customers.bulkExport')}
            </Button>
          </Space>
        )}
        <Table<CustomerSummary>
          rowKey="id"
          size="middle"
          loading={page.loading}
          columns={tableColumns}
          dataSource={page.data?.items ?? []}
          pagination={false}
          scroll={{ x: 'max-content' }}
          // Wider than the page at 1280 px (RFM and lifecycle to the right): the header and the horizontal scroll bar
          // stay on screen, where the bar was only below the 20th row.
          sticky
          rowSelection={{ selectedRowKeys: selected.map((s) => s.id), onChange: (_, rows) => setSelected(rows) }}
          onRow={(r) => ({
            onClick: (e) => {
              if (!(e.target as HTMLElement).closest('.ant-table-selection-column'))
                void navigate(`/customers/${r.id}`);
            },
            className: 'clickable-row',
          })}
          locale={{
            emptyText: filtering ? (
              <EmptyState
                title={t('customers.noMatch')}
                hint={t('customers.noMatchHint')}
                action={
                  <Button onClick={clearFilters} data-testid="clear-search">
                    {t('customers.clearSearch')}
                  </Button>
                }
              />
            ) : (
              <EmptyState
                title={t('customers.empty')}
                hint={t('customers.emptyHint')}
                action={
                  <Link to="/imports">
                    <Button type="primary">{t('customers.goImport')}</Button>
                  </Link>
                }
              />
            ),
          }}
          data-testid="customer-table"
        />
        <Space style={{ marginTop: 12, justifyContent: 'flex-end', width: '100%' }}>
          <Button disabled={cursors.length === 0} onClick={() => turn(cursors.slice(0, -1))}>
            {t('common.prev')}
          </Button>
          <Button
            disabled={!page.data?.nextCursor}
            onClick={() => page.data?.nextCursor && turn([...cursors, page.data.nextCursor])}
            data-testid="customers-next"
          >
            {t('common.next')}
          </Button>
        </Space>
      </Card>
      <BulkModal
        mode={bulk}
        ids={selected.map((s) => s.id)}
        onClose={(done) => {
          setBulk(null);
          if (done) {
            void message.success(done);
            setSelected([]);
          }
        }}
      />
    </>
  );
}

/** The part of `text` the search text found, marked (case-insensitive, like the server's match). */
/** A name found by its pinyin (`zjy` for 张佳怡): the name does not hold the text typed. */
function byPinyin(r: CustomerSummary, q: string): boolean {
  const text = r.matched === 'name' ? r.name : r.matched === 'realName' ? r.realName : null;
  return !!text && /^[a-z][a-z0-9\s'-]*$/i.test(q) && !text.toLowerCase().includes(q.toLowerCase());
}

function Mark({ text, q }: { text: string; q: string }) {
  const at = q ? text.toLowerCase().indexOf(q.toLowerCase()) : -1;
  if (at < 0) return <>{text}</>;
  return (
    <>
      {text.slice(0, at)}
      <mark>{text.slice(at, at + q.length)}</mark>
      {text.slice(at + q.length)}
    </>
  );
}

/** A phone found by its tail: those digits marked (the full number when it was typed in full). */
function PhoneMark({ phone, q }: { phone: string; q: string }) {
  const digits = q.replace(/\D/g, '');
  if (!digits || !phone.endsWith(digits)) return <mark>{phone}</mark>;
  return (
    <>
      {phone.slice(0, phone.length - digits.length)}
      <mark>{digits}</mark>
    </>
  );
}

function BulkModal({
  mode,
  ids,
  onClose,
}: {
  mode: 'tag' | 'group' | null;
  ids: string[];
  onClose: (done?: string) => void;
}) {
  const { t } = useTranslation();
  const [form] = Form.useForm<{ name: string }>();
  const groups = useApi(mode === 'group' ? '/groups' : null);
  const { busy, run } = useAction();
  const submit = () =>
    run(async () => {
      const { name } = await form.validateFields();
      if (mode === 'tag') {
        await api.post('/tags/apply', { customerIds: ids, add: [name] });
      } else {
        const group = groups.data?.items.find((g) => g.name === name) ?? (await api.post('/groups', { name }));
        await api.post('/groups/{id}/members', { add: ids }, { params: { id: group.id } });
      }
      form.resetFields();
      onClose(t('customers.bulkDone', { n: ids.length }));
    });
  return (
    <Modal
      open={mode !== null}
      title={mode === 'tag' ? t('customers.bulkTag') : t('customers.bulkGroup')}
      onCancel={() => onClose()}
      onOk={submit}
      confirmLoading={busy}
      destroyOnHidden
    >
      <Form form={form} layout="vertical">
        <Form.Item
          name="name"
          label={mode === 'tag' ? t('customers.tagName') : t('customers.groupName')}
          rules={[{ required: true, whitespace: true, message: t('common.required') }]}
          extra={mode === 'group' ? t('customers.groupHint') : undefined}
        >
          {mode === 'group' ? (
            <AutoComplete
              options={(groups.data?.items ?? []).map((g) => ({ value: g.name }))}
              filterOption={(input, o) => String(o?.value ?? '').includes(input)}
            />
          ) : (
            <Input autoFocus maxLength={30} />
          )}
        </Form.Item>
      </Form>
    </Modal>
  );
}
