import { InboxOutlined, RedoOutlined, UploadOutlined } from '@ant-design/icons';
import {
  Alert,
  App,
  AutoComplete,
  Button,
  Card,
  Col,
  Form,
  Input,
  Progress,
  Row,
  Select,
  Space,
  Table,
  Tag,
  Tooltip,
  Typography,
  Upload,
} from 'antd';
import { type Key, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type Answer, api } from '../api';
import { EmptyState, ErrorBox } from '../components/Status';
import { count, dateTime } from '../format';
import { useApi, useInterval } from '../hooks';
import { PageHeader } from '../layout/Shell';
import { errorText, reasonText } from '../errors';
import i18n from '../i18n';

type ImportRun = Answer<'/imports/{id}'>;

const FORMATS = ['taobao', 'taobao-items', 'shopify', 'douyin', 'jd', 'generic'] as const;
/** Fields a generic file can fill; the first three are needed. */
const MAP_FIELDS = [
  'externalId',
  'createdAt',
  'status',
  'paid',
  'paidAt',
  'buyerNick',
  'buyerPhone',
  'buyerName',
  'buyerEmail',
  'province',
  'city',
  'address',
  'itemTitle',
  'itemCategory',
  'itemQuantity',
  'itemPrice',
  'refund',
  'couponCode',
] as const;
const ORDER_STATUSES = ['created', 'paid', 'shipped', 'signed', 'completed', 'closed', 'refunded'];
const ACTIVE = new Set(['queued', 'running']);

/** The first rows of a CSV, read in the browser (UTF-8; a GBK file shows garbled names but still maps by position). */
async function csvRows(file: File, maxRows = 200): Promise<string[][]> {
  const head = (await file.slice(0, 256 * 1024).text()).replace(/^\ufeff/, '');
  const rows: string[][] = [];
  let row: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < head.length && rows.length < maxRows; i++) {
    const ch = head[i]!;
    if (quoted) {
      if (ch === '"' && head[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(cur.trim());
      cur = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && head[i + 1] === '\n') i++;
      row.push(cur.trim());
      cur = '';
      if (row.some((c) => c.length > 0)) rows.push(row);
      row = [];
    } else cur += ch;
  }
  return rows;
}

/** The distinct values of one column in the rows read (at most 30, in order of first appearance). */
function distinctValues(rows: string[][], column: string | undefined): string[] {
  const at = column ? (rows[0]?.indexOf(column) ?? -1) : -1;
  if (at < 0) return [];
  const seen = new Set<string>();
  for (const r of rows.slice(1)) {
    const v = r[at]?.trim();
    if (v) seen.add(v);
    if (seen.size >= 30) break;
  }
  return [...seen];
}

/** A first guess of the Huike status a status word means. */
function guessStatus(word: string): string | undefined {
  // i18n-ignore-start: status words of exports
  const hints: [RegExp, string][] = [
    [/refund|退款/i, 'refunded'],
    [/cancel|close|void|关闭|取消/i, 'closed'],
    [/done|complete|finish|success|成功|完成/i, 'completed'],
    [/deliver|sign|received|签收/i, 'signed'],
    [/ship|sent|发货/i, 'shipped'],
    [/paid|付款/i, 'paid'],
    [/new|pending|created|unpaid|待付/i, 'created'],
  ];
  // i18n-ignore-end
  return hints.find(([re]) => re.test(word))?.[1];
}

/** A first guess of which column holds which field, from common header words. */
function guessMapping(headers: string[]): Record<string, string> {
  // i18n-ignore-start: header words of exports
  const hints: Record<string, RegExp> = {
    externalId: /order.?(no|id|number)|订单号|订单编号/i,
    createdAt: /^date$|created|下单时间|创建时间|日期/i,
    status: /status|state|状态/i,
    paid: /amount|paid|total|实付|金额/i,
    buyerNick: /customer|nick|昵称|买家/i,
    buyerPhone: /mobile|phone|手机|电话/i,
    itemTitle: /product|title|item|商品/i,
    itemCategory: /category|类目/i,
    itemQuantity: /qty|quantity|数量/i,
    province: /province|省/i,
    city: /city|市/i,
  };
  // i18n-ignore-end
  const m: Record<string, string> = {};
  for (const [f, re] of Object.entries(hints)) {
    const h = headers.find((x) => re.test(x) && !Object.values(m).includes(x));
    if (h) m[f] = h;
  }
  return m;
}

/** The first rejected rows of a run, with line and reason, as a table under the run. */
function RejectedRows({ run }: { run: ImportRun }) {
  const { t } = useTranslation();
  const errors = useApi('/imports/{id}/errors', { params: { id: run.id } });
  if (errors.error) return <ErrorBox error={errors.error} onRetry={errors.reload} />;
  const items = (errors.data?.items ?? []).slice(0, 20);
  return (
    <div data-testid="import-rejected-rows">
      <Typography.Text type="secondary">
        {t('imports.rejectedFirst', { shown: items.length, rows: run.rowsRejected })}{' '}
        <a href={`/api/v1/imports/${run.id}/errors.csv?lang=${i18n.language === 'en' ? 'en' : 'zh-CN'}`}>
          {t('imports.downloadAll')}
        </a>
      </Typography.Text>
      <Table
        rowKey={(r) => `${r.line}-${r.column ?? ''}-${r.reason}`}
        size="small"
        loading={errors.loading && !errors.data}
        dataSource={items}
        pagination={false}
        style={{ marginTop: 6 }}
        columns={[
          { title: t('imports.line'), dataIndex: 'line', width: 70, align: 'right' },
          {
            title: t('imports.column'),
            dataIndex: 'column',
            width: 120,
            render: (c: string | null) => (c ? t(`imports.fields.${c}`, c) : '—'),
          },
          { title: t('imports.value'), dataIndex: 'value', width: 140, render: (v: string | null) => v ?? '—' },
          { title: t('imports.reason'), dataIndex: 'reason', render: (_, r) => reasonText(r.why, r.reason) },
        ]}
      />
    </div>
  );
}

function guessStatuses(rows: string[][], column: string | undefined): Record<string, string | undefined> {
  return Object.fromEntries(distinctValues(rows, column).map((v) => [v, guessStatus(v)]));
}

export default function Imports() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const runs = useApi('/imports');
  const stores = useApi('/stores');
  const [form] = Form.useForm();
  const format = Form.useWatch('format', form) as string | undefined;
  const storeTyped = Form.useWatch('store', form) as string | undefined;
  const [file, setFile] = useState<File | null>(null);
  const [headers, setHeaders] = useState<string[]>([]);
  const [mapping, setMapping] = useState<Record<string, string>>({});
  const [sample, setSample] = useState<string[][]>([]);
  const [statusMap, setStatusMap] = useState<Record<string, string | undefined>>({});
  const [defaultStatus, setDefaultStatus] = useState<string | undefined>('completed');
  const [busy, setBusy] = useState(false);
  const [expanded, setExpanded] = useState<readonly Key[] | null>(null);
  const [lastError, setLastError] = useState<string | null>(null);
  const active = (runs.data?.items ?? []).some((r) => ACTIVE.has(r.status));
  // A run queued for half a minute while no import runs: nothing is taking jobs (a server started with --no-worker
  // and no `huike worker`), and the bar would stand at 0 % with no word why.
  const waitsForWorker = (r: { status: string; startedAt: string }) =>
    r.status === 'queued' &&
    Date.now() - Date.parse(r.startedAt) > 30_000 &&
    !(runs.data?.items ?? []).some((x) => x.status === 'running');
  useInterval(runs.reload, 1000, active);

  const pick = async (f: File) => {
    setFile(f);
    if (/\.csv$/i.test(f.name)) {
      const rows = await csvRows(f);
      const h = (rows[0] ?? []).filter((x) => x.length > 0);
      const m = guessMapping(h);
      setSample(rows);
      setHeaders(h);
      setMapping(m);
      setStatusMap(guessStatuses(rows, m.status));
    } else {
      setHeaders([]);
      setSample([]);
    }
    return false;
  };
  const submit = async () => {
    const v = await form.validateFields();
    if (!file) {
      void message.warning(t('imports.chooseFile'));
      return;
    }
    const body = new FormData();
    body.set('store', v.store);
    if (isNewStore) {
      if (v.timezone) body.set('timezone', v.timezone);
      if (v.currency) body.set('currency', v.currency);
    }
    body.set('format', v.format);
    if (v.format === 'generic') {
      const columns = Object.fromEntries(Object.entries(mapping).filter(([, c]) => c));
      if (columns.status) {
        const unmapped = statusValues.filter((w) => !statusMap[w]);
        if (unmapped.length > 0) {
          void message.warning(t('imports.statusUnmapped', { value: unmapped[0] }));
          return;
        }
      }
      body.set('mapping', JSON.stringify({ columns, ...(columns.status ? { statusMap } : { defaultStatus }) }));
    }
    body.set('file', file);
    setBusy(true);
    setLastError(null);
    try {
      await api.upload('/imports', body);
      void message.success(t('imports.started'));
      setFile(null);
      runs.reload();
      stores.reload();
    } catch (e) {
      setLastError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  const resume = async (r: ImportRun) => {
    try {
      await api.post('/imports/{id}/resume', undefined, { params: { id: r.id } });
      void message.success(t('imports.resumed'));
      runs.reload();
    } catch (e) {
      void message.error(errorText(e));
    }
  };
  const statusValues = distinctValues(sample, mapping.status);
  const setColumn = (f: string, c: string | undefined) => {
    setMapping({ ...mapping, [f]: c as string });
    if (f === 'status') setStatusMap(guessStatuses(sample, c));
  };
  const newestRejected = (runs.data?.items ?? []).find((r) => !ACTIVE.has(r.status) && r.rowsRejected > 0);
  const expandedKeys = expanded ?? (newestRejected ? [newestRejected.id] : []);
  const nothingImported = (r: ImportRun) => r.status === 'done' && r.ordersCreated + r.ordersUpdated === 0;
  const isNewStore = !!storeTyped?.trim() && !(stores.data?.items ?? []).some((s) => s.name === storeTyped.trim());
  const storeName = (id: string) => stores.data?.items.find((s) => s.id === id)?.name ?? id;
  return (
    <>
      <PageHeader title={t('menu.imports')} subtitle={t('imports.subtitle')} />
      <Row gutter={16}>
        <Col xs={24} xl={9}>
          <Card size="small" title={t('imports.newImport')}>
            <Form
              form={form}
              layout="vertical"
              initialValues={{ format: 'taobao', timezone: 'Asia/Shanghai', currency: 'CNY' }}
            >
              <Form.Item name="format" label={t('imports.format')}>
                <Select
                  options={FORMATS.map((f) => ({ value: f, label: t(`imports.formats.${f}`) }))}
                  data-testid="import-format"
                />
              </Form.Item>
              <Form.Item
                name="store"
                label={t('imports.store')}
                rules={[{ required: true, whitespace: true, message: t('imports.storeRequired') }]}
                extra={t('imports.storeHint')}
              >
                <AutoComplete
                  options={(stores.data?.items ?? []).map((s) => ({ value: s.name }))}
                  filterOption={(i, o) => String(o?.value ?? '').includes(i)}
                  data-testid="import-store"
                />
              </Form.Item>
              {isNewStore && (
                <Row gutter={8}>
                  <Col span={14}>
                    <Form.Item name="timezone" label={t('settings.timezone')}>
                      <Input data-testid="import-timezone" />
                    </Form.Item>
                  </Col>
                  <Col span={10}>
                    <Form.Item name="currency" label={t('settings.currency')}>
                      <Input maxLength={3} data-testid="import-currency" />
                    </Form.Item>
                  </Col>
                </Row>
              )}
              <Form.Item label={t('imports.file')} required>
                <Upload.Dragger
                  beforeUpload={(f) => pick(f)}
                  maxCount={1}
                  showUploadList={false}
                  accept=".csv,.xlsx,.txt"
                  data-testid="import-file"
                >
                  <p className="ant-upload-drag-icon">
                    <InboxOutlined />
                  </p>
                  <p>{file ? <b>{file.name}</b> : t('imports.dropHere')}</p>
                  <p className="kpi-foot">{t('imports.fileHint')}</p>
                </Upload.Dragger>
              </Form.Item>
              {format === 'generic' && (
                <Card size="small" type="inner" title={t('imports.mapping')} style={{ marginBottom: 16 }}>
                  {headers.length === 0 ? (
                    <Typography.Text type="secondary">{t('imports.mappingNeedsCsv')}</Typography.Text>
                  ) : (
                    <>
                      {MAP_FIELDS.map((f) => (
                        <Row key={f} gutter={8} align="middle" style={{ marginBottom: 6 }}>
                          <Col span={10}>
                            {t(`imports.fields.${f}`)}
                            {['externalId', 'createdAt'].includes(f) && <span style={{ color: '#ff4d4f' }}> *</span>}
                          </Col>
                          <Col span={14}>
                            <Select
                              allowClear
                              size="small"
                              style={{ width: '100%' }}
                              value={mapping[f]}
                              placeholder={t('imports.notInFile')}
                              onChange={(c) => setColumn(f, c)}
                              options={headers.map((h) => ({ value: h, label: h }))}
                            />
                          </Col>
                        </Row>
                      ))}
                      {mapping.status && statusValues.length > 0 && (
                        <div style={{ marginTop: 10 }} data-testid="import-status-map">
                          <Typography.Text strong>{t('imports.statusValues')}</Typography.Text>
                          <div className="kpi-foot" style={{ marginTop: 0, marginBottom: 6 }}>
                            {t('imports.statusValuesHint')}
                          </div>
                          {statusValues.map((w) => (
                            <Row key={w} gutter={8} align="middle" style={{ marginBottom: 6 }}>
                              <Col span={10}>
                                <Typography.Text code>{w}</Typography.Text>
                              </Col>
                              <Col span={14}>
                                <Select
                                  size="small"
                                  style={{ width: '100%' }}
                                  value={statusMap[w]}
                                  placeholder={t('imports.chooseStatus')}
                                  status={statusMap[w] ? undefined : 'warning'}
                                  onChange={(s) => setStatusMap({ ...statusMap, [w]: s })}
                                  options={ORDER_STATUSES.map((s) => ({ value: s, label: t(`orderStatus.${s}`) }))}
                                  data-testid={`status-map-${w}`}
                                />
                              </Col>
                            </Row>
                          ))}
                        </div>
                      )}
                      {!mapping.status && (
                        <Space style={{ marginTop: 6 }}>
                          <span>{t('imports.defaultStatus')}</span>
                          <Select
                            size="small"
                            style={{ width: 140 }}
                            value={defaultStatus}
                            onChange={setDefaultStatus}
                            options={ORDER_STATUSES.map((s) => ({ value: s, label: t(`orderStatus.${s}`) }))}
                          />
                        </Space>
                      )}
                    </>
                  )}
                </Card>
              )}
              {lastError && (
                <Alert
                  type="error"
                  showIcon
                  message={lastError}
                  style={{ marginBottom: 12 }}
                  data-testid="import-error"
                />
              )}
              <Button
                type="primary"
                icon={<UploadOutlined />}
                loading={busy}
                onClick={() => void submit()}
                block
                data-testid="import-submit"
              >
                {t('imports.start')}
              </Button>
            </Form>
          </Card>
        </Col>
        <Col xs={24} xl={15}>
          <Card size="small" title={t('imports.history')}>
            {runs.error && <ErrorBox error={runs.error} onRetry={runs.reload} />}
            <Table<ImportRun>
              rowKey="id"
              size="small"
              dataSource={runs.data?.items ?? []}
              loading={runs.loading && !runs.data}
              pagination={{ pageSize: 10, hideOnSinglePage: true }}
              locale={{ emptyText: <EmptyState title={t('imports.noRuns')} hint={t('imports.noRunsHint')} /> }}
              data-testid="import-runs"
              className="nowrap-table"
              scroll={{ x: 'max-content' }}
              expandable={{
                rowExpandable: (r) => !ACTIVE.has(r.status) && r.rowsRejected > 0,
                // The expand column only when some run has rejected rows to show (it stood empty at the left).
                showExpandColumn: (runs.data?.items ?? []).some((r) => !ACTIVE.has(r.status) && r.rowsRejected > 0),
                expandedRowKeys: expandedKeys,
                onExpandedRowsChange: (keys) => setExpanded(keys),
                expandedRowRender: (r) => <RejectedRows run={r} />,
              }}
              columns={[
                {
                  title: t('imports.file'),
                  render: (_, r) => (
                    <div>
                      <Typography.Text ellipsis style={{ maxWidth: 200 }}>
                        {r.fileName}
                      </Typography.Text>
                      <div className="kpi-foot" style={{ marginTop: 0 }}>
                        {storeName(r.storeId)} · {t(`imports.formats.${r.format}`, r.format)}
                      </div>
                    </div>
                  ),
                },
                {
                  title: t('imports.statusCol'),
                  render: (_, r) =>
                    ACTIVE.has(r.status) && r.statsRefresh && r.statsRefresh.total > 0 ? (
                      // The file is read; its buyers' stats are being refreshed (minutes on a large file).
                      <Tooltip title={t('imports.statsRefreshTip')}>
                        <div data-testid="import-stats-refresh">
                          <Progress
                            percent={Math.floor((r.statsRefresh.done * 100) / r.statsRefresh.total)}
                            size="small"
                            status="active"
                            style={{ width: 120 }}
                          />
                          <div className="kpi-foot" style={{ marginTop: 0 }}>
                            {t('imports.statsRefresh', {
                              done: count(r.statsRefresh.done),
                              total: count(r.statsRefresh.total),
                            })}
                          </div>
                        </div>
                      </Tooltip>
                    ) : ACTIVE.has(r.status) ? (
                      <div>
                        <Progress
                          percent={Math.round(r.progress * 100)}
                          size="small"
                          status="active"
                          style={{ width: 120 }}
                        />
                        {waitsForWorker(r) && (
                          // Queued a while with nothing running: jobs run in a worker, which may not be running.
                          <div style={{ maxWidth: 260, whiteSpace: 'normal' }}>
                            <Typography.Text type="warning" style={{ fontSize: 12 }} data-testid="import-waiting">
                              {t('imports.waitingForWorker')}
                            </Typography.Text>
                          </div>
                        )}
                      </div>
                    ) : (
                      <Tooltip title={r.message && reasonText(r.why, r.message)}>
                        <Tag
                          color={
                            nothingImported(r)
                              ? 'orange'
                              : r.status === 'done'
                                ? 'green'
                                : r.status === 'failed' || r.status === 'interrupted'
                                  ? 'red'
                                  : 'default'
                          }
                          data-testid="import-status"
                        >
                          {nothingImported(r)
                            ? t('imports.nothingImported')
                            : t(`imports.status.${r.status}`, r.status)}
                        </Tag>
                        {r.status === 'failed' && r.message && (
                          // Why it failed, on screen (it was only in the tag's tooltip).
                          <div style={{ maxWidth: 260, marginTop: 4, whiteSpace: 'normal' }}>
                            <Typography.Text type="danger" style={{ fontSize: 12 }} data-testid="import-failed-why">
                              {reasonText(r.why, r.message)}
                            </Typography.Text>
                          </div>
                        )}
                        {r.status === 'interrupted' && (
                          <Tooltip title={t('imports.resumeTip', { n: r.rowsCommitted, next: r.rowsCommitted + 1 })}>
                            <Button
                              size="small"
                              type="link"
                              icon={<RedoOutlined />}
                              onClick={() => void resume(r)}
                              data-testid="import-resume"
                            >
                              {t('imports.resume')}
                            </Button>
                          </Tooltip>
                        )}
                      </Tooltip>
                    ),
                },
                { title: t('imports.rows'), align: 'right', render: (_, r) => count(r.rowsRead) },
                {
                  title: t('imports.ordersNew'),
                  align: 'right',
                  render: (_, r) => `${count(r.ordersCreated)} / ${count(r.ordersUpdated)}`,
                },
                { title: t('imports.customersNew'), align: 'right', render: (_, r) => count(r.customersCreated) },
                {
                  title: t('imports.rejected'),
                  align: 'right',
                  render: (_, r) =>
                    r.rowsRejected > 0 ? (
                      <Tooltip title={t('imports.rejectedTip', { rows: r.rowsRejected, orders: r.ordersRejected })}>
                        <a
                          href={`/api/v1/imports/${r.id}/errors.csv?lang=${i18n.language === 'en' ? 'en' : 'zh-CN'}`}
                          data-testid="import-rejected"
                        >
                          {count(r.rowsRejected)} / {count(r.ordersRejected)} ↓
                        </a>
                      </Tooltip>
                    ) : (
                      '0 / 0'
                    ),
                },
                { title: t('imports.startedAt'), render: (_, r) => dateTime(r.startedAt) },
              ]}
            />
          </Card>
        </Col>
      </Row>
    </>
  );
}
