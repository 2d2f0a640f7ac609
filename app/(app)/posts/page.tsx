import { PostsView } from "./PostsView";

export const metadata = { title: "Posts" };

export default function PostsPage() {
  return <PostsView />;
}
