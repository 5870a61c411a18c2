import { QuestionCircleOutlined } from '@ant-design/icons';
import { Tooltip } from 'antd';

/**
 * A figure's name with its definition behind a question mark: the console shows several 复购率 (the period's,
 * the whole file's, a month's, a product's), each with what it counts.
 */
export function Hinted({ title, hint, testId }: { title: string; hint: string; testId?: string }) {
  return (
    <span>
      {title}
      <Tooltip title={hint}>
        <QuestionCircleOutlined style={{ marginLeft: 4, color: 'rgba(0,0,0,0.45)' }} data-testid={testId} />
      </Tooltip>
    </span>
  );
}
