import { EyeOutlined, PlusOutlined, SaveOutlined, SyncOutlined } from '@ant-design/icons';
import {
  Alert,
  App,
  Button,
  Card,
  Col,
  Descriptions,
  Input,
  InputNumber,
  Popover,
  Row,
  Space,
  Statistic,
  Table,
  Tag,
  Typography,
} from 'antd';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type Answer, api } from '../api';
import { useJobResult } from '../jobs';
import { ErrorBox, Loading } from '../components/Status';
import { count } from '../format';
import { useApi } from '../hooks';
import { can, useMe } from '../session';
import { PageHeader } from '../layout/Shell';
import { errorText } from '../errors';

type TierSettings = Answer<'/tiers', 'put'>;
type Tier = TierSettings['tiers'][number];
type Preview = Answer<'/tiers/preview', 'post'>;

/** The editable part of GET /tiers (it also carries members per tier). */
const settingsOf = (d: Answer<'/tiers'>): TierSettings => ({
  tiers: d.tiers,
  growthPerYuan: d.growthPerYuan,
  growthMultipliers: d.growthMultipliers,
  photoReviewGrowth: d.photoReviewGrowth,
  maxDowngrade: d.maxDowngrade,
});
const yuan = (fen: number | null) => (fen === null ? null : fen / 100);
const fen = (y: number | null) => (y === null ? null : Math.round(y * 100));

export default function Members() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const data = useApi('/tiers');
  const [draft, setDraft] = useState<TierSettings | null>(null);
  const [preview, setPreview] = useState<Preview | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const followJob = useJobResult();
  useEffect(() => {
    if (data.data) setDraft(settingsOf(data.data));
  }, [data.data]);
  if (data.error) return <ErrorBox error={data.error} onRetry={data.reload} />;
  if (!draft || !data.data) return <Loading />;
  const dirty = JSON.stringify(draft) !== JSON.stringify(settingsOf(data.data));
  const setMultipliers = (m: TierSettings['growthMultipliers']) => {
    setDraft({ ...draft, growthMultipliers: m });
    setPreview(null);
  };

  const setTier = (i: number, patch: Partial<Tier>) => {
    setDraft({ ...draft, tiers: draft.tiers.map((x, j) => (j === i ? { ...x, ...patch } : x)) });
    setPreview(null);
  };
  // The ladder is a setting: a marketer may try changes and preview them, an owner or admin saves and evaluates.
  const configures = can(useMe(), 'settings:write');
  const run = async (what: string, fn: () => Promise<void>) => {
    setBusy(what);
    try {
      await fn();
    } catch (e) {
      void message.error(errorText(e));
    } finally {
      setBusy(null);
    }
  };
  const onPreview = () => run('preview', async () => setPreview(await api.post('/tiers/preview', draft!)));
  const onSave = () =>
    run('save', async () => {
      await api.put('/tiers', draft!);
      void message.success(t('common.saved'));
      setPreview(null);
      data.reload();
    });
  const onEvaluate = () =>
    run('evaluate', async () => {
      const r = await followJob(await api.post('/tiers/evaluate', { yearly: false }));
      void message.success(t('members.evaluated', { n: r.upgraded ?? 0 }));
      data.reload();
    });

  const num = (v: number | null, onChange: (v: number | null) => void, disabled: boolean, prefix?: string) => (
    <InputNumber
      size="small"
      style={{ width: 104 }}
      min={0}
      value={v}
      prefix={prefix}
      disabled={disabled}
      placeholder={disabled ? '—' : t('members.none')}
      onChange={(x) => onChange(x === null || x === undefined ? null : Number(x))}
    />
  );
  return (
    <>
      <PageHeader
        title={t('menu.members')}
        subtitle={t('members.subtitle')}
        extra={
          <>
            {configures && (
              <Button icon={<SyncOutlined />} loading={busy === 'evaluate'} onClick={() => void onEvaluate()}>
                {t('members.evaluateNow')}
              </Button>
            )}
            <Button
              icon={<EyeOutlined />}
              disabled={!dirty}
              loading={busy === 'preview'}
              onClick={() => void onPreview()}
              data-testid="tiers-preview"
            >
              {t('members.preview')}
            </Button>
            {configures && (
              <Button
                type="primary"
                icon={<SaveOutlined />}
                disabled={!dirty}
                loading={busy === 'save'}
                onClick={() => void onSave()}
              >
                {t('common.save')}
              </Button>
            )}
          </>
        }
      />
      {!configures && <Alert type="info" showIcon message={t('members.readOnly')} style={{ marginBottom: 12 }} />}
      <Card size="small" title={t('members.ladder')} style={{ marginBottom: 16 }}>
        <Table<Tier>
          rowKey="key"
          className="nowrap-head"
          data-testid="tier-ladder"
          size="small"
          pagination={false}
          dataSource={draft.tiers}
          // A width, not max-content: the table fills the card and the benefits wrap in what is left; below it, scroll.
          // 980 fits the card at 1280 px (1,100 cut the benefits off there, behind a scroll nobody saw).
          scroll={{ x: 980 }}
          columns={[
            {
              title: t('members.tierName'),
              render: (_, r, i) => (
                <Input
                  size="small"
                  style={{ width: 110 }}
                  value={r.name}
                  onChange={(e) => setTier(i, { name: e.target.value })}
                />
              ),
            },
            { title: t('members.membersNow'), align: 'right', render: (_, r) => count(data.data!.members[r.key] ?? 0) },
            {
              title: t('members.spend12m'),
              render: (_, r, i) => num(yuan(r.spend12mFen), (v) => setTier(i, { spend12mFen: fen(v) }), i === 0, '¥'),
            },
            {
              title: t('members.totalSpent'),
              render: (_, r, i) =>
                num(yuan(r.totalSpentFen), (v) => setTier(i, { totalSpentFen: fen(v) }), i === 0, '¥'),
            },
            {
              title: t('members.growth'),
              render: (_, r, i) => num(r.growth, (v) => setTier(i, { growth: v }), i === 0),
            },
            {
              title: t('members.discount'),
              render: (_, r, i) => (
                <InputNumber
                  size="small"
                  style={{ width: 90 }}
                  min={1}
                  max={100}
                  value={r.benefits.discountPercent}
                  suffix="%"
                  onChange={(v) => setTier(i, { benefits: { ...r.benefits, discountPercent: Number(v ?? 100) } })}
                />
              ),
            },
            {
              title: t('members.birthdayMultiplier'),
              render: (_, r, i) => (
                <InputNumber
                  size="small"
                  style={{ width: 80 }}
                  min={1}
                  max={10}
                  step={0.5}
                  value={r.benefits.birthdayPointsMultiplier}
                  onChange={(v) =>
                    setTier(i, { benefits: { ...r.benefits, birthdayPointsMultiplier: Number(v ?? 1) } })
                  }
                />
              ),
            },
            {
              title: t('members.benefits'),
              render: (_, r, i) => (
                <BenefitsEditor benefits={r.benefits} onChange={(benefits) => setTier(i, { benefits })} />
              ),
            },
          ]}
        />
        <Space style={{ marginTop: 12 }} wrap>
          <span>{t('members.growthPerYuan')}</span>
          <InputNumber
            size="small"
            min={0}
            max={100}
            value={draft.growthPerYuan}
            onChange={(v) => setDraft({ ...draft, growthPerYuan: Number(v ?? 1) })}
          />
          <span style={{ marginLeft: 16 }}>{t('members.photoReviewGrowth')}</span>
          <InputNumber
            size="small"
            min={0}
            value={draft.photoReviewGrowth}
            onChange={(v) => setDraft({ ...draft, photoReviewGrowth: Number(v ?? 0) })}
          />
          <span style={{ marginLeft: 16 }}>{t('members.maxDowngrade')}</span>
          <InputNumber
            size="small"
            min={0}
            max={9}
            value={draft.maxDowngrade}
            onChange={(v) => setDraft({ ...draft, maxDowngrade: Number(v ?? 1) })}
          />
        </Space>
        <div style={{ marginTop: 12 }}>
          <Typography.Text>{t('members.multipliers')}</Typography.Text>
          <Space wrap style={{ marginLeft: 12 }}>
            {draft.growthMultipliers.map((m, i) => (
              <Space.Compact key={i}>
                <Input
                  size="small"
                  style={{ width: 130 }}
                  value={m.category}
                  placeholder={t('members.category')}
                  onChange={(e) =>
                    setMultipliers(
                      draft.growthMultipliers.map((x, j) => (j === i ? { ...x, category: e.target.value } : x)),
                    )
                  }
                />
                <InputNumber
                  size="small"
                  style={{ width: 80 }}
                  min={0}
                  max={20}
                  step={0.5}
                  value={m.multiplier}
                  prefix="×"
                  onChange={(v) =>
                    setMultipliers(
                      draft.growthMultipliers.map((x, j) => (j === i ? { ...x, multiplier: Number(v ?? 1) } : x)),
                    )
                  }
                />
                <Button
                  size="small"
                  danger
                  onClick={() => setMultipliers(draft.growthMultipliers.filter((_, j) => j !== i))}
                >
                  ×
                </Button>
              </Space.Compact>
            ))}
            <Button
              size="small"
              type="dashed"
              onClick={() => setMultipliers([...draft.growthMultipliers, { category: '', multiplier: 2 }])}
            >
              {t('members.addMultiplier')}
            </Button>
          </Space>
        </div>
        <Typography.Paragraph type="secondary" style={{ marginTop: 12, marginBottom: 0 }}>
          {t('members.rulesHint')}
        </Typography.Paragraph>
      </Card>
      {preview && (
        <Card size="small" title={t('members.previewTitle')} data-testid="tiers-preview-result">
          <Row gutter={16}>
            <Col span={4}>
              <Statistic
                title={t('members.moveUp')}
                value={count(preview.wouldMoveUp)}
                valueStyle={{ color: '#389e0d' }}
              />
            </Col>
            <Col span={4}>
              <Statistic
                title={t('members.moveDown')}
                value={count(preview.wouldMoveDown)}
                valueStyle={{ color: '#cf1322' }}
              />
            </Col>
            <Col span={4}>
              <Statistic
                title={t('members.changedByEdit')}
                value={count(preview.changedByEdit)}
                valueRender={() => <span data-testid="tiers-changed-by-edit">{count(preview.changedByEdit)}</span>}
              />
            </Col>
            <Col span={12}>
              <Descriptions size="small" column={1} bordered>
                {preview.after.map((a) => {
                  const b = preview.before.find((x) => x.key === a.key)?.members ?? 0;
                  const d = a.members - b;
                  return (
                    <Descriptions.Item key={a.key} label={a.name}>
                      {count(b)} → <b>{count(a.members)}</b>{' '}
                      {d !== 0 && (
                        <Tag color={d > 0 ? 'green' : 'red'}>
                          {d > 0 ? '+' : ''}
                          {count(d)}
                        </Tag>
                      )}
                    </Descriptions.Item>
                  );
                })}
              </Descriptions>
            </Col>
          </Row>
          <Alert style={{ marginTop: 12 }} type="info" showIcon message={t('members.previewHint')} />
        </Card>
      )}
    </>
  );
}

type Benefits = Tier['benefits'];
const FLAG_BENEFITS = ['freePickup', 'priorityShipping', 'dedicatedAgent', 'memberOnlySales'] as const;
const FLAG_COLOR = { freePickup: 'blue', priorityShipping: 'blue', dedicatedAgent: 'purple', memberOnlySales: 'gold' };

/** A tier's benefits as tags: each can be removed, the missing ones added, 满减 steps added with their amounts. */
function BenefitsEditor({ benefits, onChange }: { benefits: Benefits; onChange: (b: Benefits) => void }) {
  const { t } = useTranslation();
  const [min, setMin] = useState<number | null>(null);
  const [off, setOff] = useState<number | null>(null);
  const missing = FLAG_BENEFITS.filter((k) => !benefits[k]);
  const addReduction = () => {
    if (!min || !off || off >= min) return;
    const minFen = Math.round(min * 100);
    const rest = benefits.fullReduction.filter((f) => f.minFen !== minFen);
    const fullReduction = [...rest, { minFen, offFen: Math.round(off * 100) }].sort((a, b) => a.minFen - b.minFen);
    onChange({ ...benefits, fullReduction });
    setMin(null);
    setOff(null);
  };
  return (
    <Space size={4} wrap style={{ minWidth: 200 }} data-testid="tier-benefits">
      {benefits.discountPercent < 100 && (
        <Tag color="volcano">{t('members.discountTag', { n: benefits.discountPercent / 10 })}</Tag>
      )}
      {benefits.fullReduction.map((f) => (
        <Tag
          key={f.minFen}
          color="orange"
          closable
          onClose={(e) => {
            e.preventDefault();
            onChange({ ...benefits, fullReduction: benefits.fullReduction.filter((x) => x.minFen !== f.minFen) });
          }}
        >
          {t('members.fullReduction', { min: f.minFen / 100, off: f.offFen / 100 })}
        </Tag>
      ))}
      <Tag>{t('members.returnDays', { n: benefits.returnWindowDays })}</Tag>
      {FLAG_BENEFITS.filter((k) => benefits[k]).map((k) => (
        <Tag
          key={k}
          color={FLAG_COLOR[k]}
          closable
          onClose={(e) => {
            e.preventDefault();
            onChange({ ...benefits, [k]: false });
          }}
        >
          {t(`members.${k}`)}
        </Tag>
      ))}
      <Popover
        trigger="click"
        content={
          <Space direction="vertical" size={8}>
            {missing.length > 0 && (
              <Space size={4} wrap style={{ maxWidth: 260 }}>
                {missing.map((k) => (
                  <Button key={k} size="small" onClick={() => onChange({ ...benefits, [k]: true })}>
                    {t(`members.${k}`)}
                  </Button>
                ))}
              </Space>
            )}
            <InputNumber
              size="small"
              min={0}
              max={365}
              precision={0}
              addonBefore={t('members.returnDaysLabel')}
              addonAfter={t('common.days')}
              value={benefits.returnWindowDays}
              onChange={(v) => v !== null && onChange({ ...benefits, returnWindowDays: Number(v) })}
              style={{ width: 180 }}
              data-testid="tier-return-days"
            />
            <Space size={4}>
              <InputNumber
                size="small"
                min={1}
                prefix={t('members.spendPrefix')}
                value={min}
                onChange={(v) => setMin(v === null ? null : Number(v))}
                style={{ width: 110 }}
              />
              <InputNumber
                size="small"
                min={1}
                prefix={t('members.offPrefix')}
                value={off}
                onChange={(v) => setOff(v === null ? null : Number(v))}
                style={{ width: 100 }}
              />
              <Button size="small" disabled={!min || !off || off >= min} onClick={addReduction}>
                {t('members.addFullReduction')}
              </Button>
            </Space>
          </Space>
        }
      >
        <Tag style={{ borderStyle: 'dashed', cursor: 'pointer' }} data-testid="tier-benefit-add">
          <PlusOutlined /> {t('members.addBenefit')}
        </Tag>
      </Popover>
    </Space>
  );
}
